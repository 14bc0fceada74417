#!/usr/bin/env node
import { AlsaBackend } from '@voxbus/alsa';
import { packageVersion, runService } from '@voxbus/shared';
import { CAPTURE_DEFAULTS, CaptureConfigSchema } from './config.js';
import { Microphone } from './microphone.js';

const OWNER = 'audio-capture';

await runService({
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
      publishState: (state) => bus.publish('capture.state', {}, state),
    });
    bus.subscribe(OWNER, 'capture.cmd.mute', {}, () => microphone.mute());
    bus.subscribe(OWNER, 'capture.cmd.unmute', {}, () => microphone.unmute());
    microphone.start();
    return {
      stop: async () => {
        bus.unsubscribeAll(OWNER);
        await microphone.stop();
      },
    };
  },
});
