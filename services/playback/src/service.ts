import { AlsaBackend } from '@voxbus/alsa';
import { defineService, packageVersion } from '@voxbus/shared';
import { PLAYBACK_DEFAULTS, PlaybackConfigSchema } from './config.js';
import { Speaker } from './speaker.js';

const OWNER = 'playback';

/** The playback service's definition: run alone by main.ts, or with others in one process (all-in-one). */
export const service = defineService({
  name: 'playback',
  version: packageVersion(import.meta.url),
  configSchema: PlaybackConfigSchema,
  configDefaults: PLAYBACK_DEFAULTS,
  async start({ config, log, bus, clock, metrics }) {
    const speaker = new Speaker(config, {
      backend: new AlsaBackend(),
      clock,
      log,
      metrics,
      publishState: (state) => bus.publish('playback.state', {}, state),
      publishItem: (event) => bus.publish('playback.event.item', {}, event),
      publishPlayed: (frame) => bus.publish('audio.played', {}, frame),
    });
    bus.subscribe(OWNER, 'audio.output', {}, ({ payload }) => speaker.play(payload));
    bus.subscribe(OWNER, 'playback.cmd.flush', {}, () => speaker.flush());
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
