import { defineService, packageVersion } from '@voxbus/shared';
import { PLAYBACK_DEFAULTS, type PlaybackConfig, PlaybackConfigSchema } from './config.js';
import { Speaker, type SpeakerDeps } from './speaker.js';

const OWNER = 'playback';

export interface SpeakerServiceOptions {
  /** The sound device (ALSA here; a phone call's line in the telephony bridge). */
  readonly backend: () => SpeakerDeps['backend'];
  /** The login when not its own name: a stand-in (the telephony bridge's). */
  readonly login?: string;
  /** The version `describe` gives: the stand-in's own package's (this package's by default). */
  readonly version?: string;
  readonly configDefaults?: PlaybackConfig;
}

/**
 * The playback service on a given device: the Speaker wired to the bus (audio/output in; state,
 * item events and the echo reference out; the playback commands). playback's own definition
 * runs it on ALSA; the telephony bridge runs it on a call. It imports no device of its own.
 */
export function speakerService(options: SpeakerServiceOptions) {
  return defineService({
    name: 'playback',
    ...(options.login === undefined ? {} : { login: options.login }),
    version: options.version ?? packageVersion(import.meta.url),
    configSchema: PlaybackConfigSchema,
    configDefaults: options.configDefaults ?? PLAYBACK_DEFAULTS,
    async start({ config, log, bus, clock, metrics }) {
      const speaker = new Speaker(config, {
        backend: options.backend(),
        clock,
        log,
        metrics,
        publishState: (state) => bus.publish('playback.state', {}, state),
        publishItem: (event) => bus.publish('playback.event.item', {}, event),
        publishPlayed: (frame) => bus.publish('audio.played', {}, frame),
      });
      bus.subscribe(OWNER, 'audio.output', {}, ({ payload }) => speaker.play(payload));
      bus.subscribe(OWNER, 'playback.cmd.flush', {}, () => speaker.flush());
      bus.subscribe(OWNER, 'playback.cmd.pause', {}, ({ payload }) => speaker.pause(payload.forMs));
      bus.subscribe(OWNER, 'playback.cmd.resume', {}, () => speaker.resume());
      bus.subscribe(OWNER, 'playback.cmd.volume', {}, ({ payload }) => speaker.setVolume(payload.volume));
      bus.subscribe(OWNER, 'playback.cmd.mute', {}, () => speaker.setMuted(true));
      bus.subscribe(OWNER, 'playback.cmd.unmute', {}, () => speaker.setMuted(false));
      bus.subscribe(OWNER, 'playback.cmd.earcon', {}, ({ payload }) => speaker.earcon(payload.name));
      speaker.start();
      return {
        stop: async () => {
          bus.unsubscribeAll(OWNER);
          await speaker.stop();
        },
      };
    },
  });
}
