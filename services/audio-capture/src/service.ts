import { AlsaBackend } from '@voxbus/alsa';
import { defineService, packageVersion } from '@voxbus/shared';
import { CAPTURE_DEFAULTS, CaptureConfigSchema } from './config.js';
import { Microphone } from './microphone.js';

const OWNER = 'audio-capture';

/** The audio-capture service's definition: run alone by main.ts, or with others in one process (all-in-one). */
export const service = defineService({
  name: 'audio-capture',
  version: packageVersion(import.meta.url),
  configSchema: CaptureConfigSchema,
  configDefaults: CAPTURE_DEFAULTS,
  async start({ config, log, bus, clock, metrics }) {
    const microphone = new Microphone(config, {
      backend: new AlsaBackend(),
      clock,
      log,
      metrics,
      publishFrame: (frame) => bus.publish('audio.mic', {}, frame),
      publishState: (state) => bus.publish('audio-capture.state', {}, state),
    });
    bus.subscribe(OWNER, 'audio-capture.cmd.mute', {}, () => microphone.mute());
    bus.subscribe(OWNER, 'audio-capture.cmd.unmute', {}, () => microphone.unmute());
    microphone.start();
    return {
      stop: async () => {
        bus.unsubscribeAll(OWNER);
        await microphone.stop();
      },
    };
  },
});
