import { defineService, packageVersion } from '@voxbus/shared';
import { CAPTURE_DEFAULTS, type CaptureConfig, CaptureConfigSchema } from './config.js';
import { Microphone, type MicrophoneDeps } from './microphone.js';

const OWNER = 'audio-capture';

export interface MicrophoneServiceOptions {
  /** The sound device (ALSA here; a phone call's line in the telephony bridge). */
  readonly backend: () => MicrophoneDeps['backend'];
  /** The login when not its own name: a stand-in (the telephony bridge's). */
  readonly login?: string;
  /** The version `describe` gives: the stand-in's own package's (this package's by default). */
  readonly version?: string;
  readonly configDefaults?: CaptureConfig;
}

/**
 * The audio-capture service on a given device: the Microphone wired to the bus (audio/mic and
 * the state out; mute and unmute in). audio-capture's own definition runs it on ALSA; the
 * telephony bridge runs it on a call. It imports no device of its own.
 */
export function microphoneService(options: MicrophoneServiceOptions) {
  return defineService({
    name: 'audio-capture',
    ...(options.login === undefined ? {} : { login: options.login }),
    version: options.version ?? packageVersion(import.meta.url),
    configSchema: CaptureConfigSchema,
    configDefaults: options.configDefaults ?? CAPTURE_DEFAULTS,
    async start({ config, log, bus, clock, metrics }) {
      const microphone = new Microphone(config, {
        backend: options.backend(),
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
}
