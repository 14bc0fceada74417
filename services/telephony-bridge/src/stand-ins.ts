import { type CaptureConfig, CaptureConfigSchema, CAPTURE_DEFAULTS } from '@voxbus/audio-capture/dist/config.js';
import { Microphone } from '@voxbus/audio-capture/dist/microphone.js';
import { PLAYBACK_DEFAULTS, type PlaybackConfig, PlaybackConfigSchema } from '@voxbus/playback/dist/config.js';
import { Speaker } from '@voxbus/playback/dist/speaker.js';
import { type AnyServiceDefinition, defineService, packageVersion } from '@voxbus/shared';
import { type CallLine, LINE_DEVICE } from './call-line.js';

/**
 * The microphone and the speaker during calls: the project's own audio-capture and playback
 * logic (Microphone, Speaker: frames, mutes, jitter buffer, flush, item events, echo reference),
 * run on the call line instead of ALSA, under the names of the services they replace (logged in
 * as the bridge, whose grant covers their topics: STANDS_IN_FOR),
 * so the dsp, gateway and conversation-state, the conformance kits and the broker's access rules
 * see exactly the audio-capture and playback they know. Their settings are those services' own
 * (VOXBUS_AUDIO_CAPTURE__…, VOXBUS_PLAYBACK__…); the device is the line, whatever is asked.
 */
export function standIns(line: () => CallLine): AnyServiceDefinition[] {
  const capture = defineService({
    name: 'audio-capture',
    login: 'telephony-bridge',
    version: packageVersion(import.meta.url),
    configSchema: CaptureConfigSchema,
    configDefaults: { ...CAPTURE_DEFAULTS, device: LINE_DEVICE } satisfies CaptureConfig,
    async start({ config, log, bus, clock, metrics }) {
      const microphone = new Microphone(config, {
        backend: line(),
        clock,
        log,
        metrics,
        publishFrame: (frame) => bus.publish('audio.mic', {}, frame),
        publishState: (state) => bus.publish('audio-capture.state', {}, state),
      });
      bus.subscribe('audio-capture', 'audio-capture.cmd.mute', {}, () => microphone.mute());
      bus.subscribe('audio-capture', 'audio-capture.cmd.unmute', {}, () => microphone.unmute());
      microphone.start();
      return {
        stop: async () => {
          bus.unsubscribeAll('audio-capture');
          await microphone.stop();
        },
      };
    },
  });
  const playback = defineService({
    name: 'playback',
    login: 'telephony-bridge',
    version: packageVersion(import.meta.url),
    configSchema: PlaybackConfigSchema,
    // The line's jitter buffer: the call's own network and the platform's buffer come after it.
    configDefaults: { ...PLAYBACK_DEFAULTS, device: LINE_DEVICE, channels: 1, sampleRateHz: 24_000 } satisfies PlaybackConfig,
    async start({ config, log, bus, clock, metrics }) {
      const speaker = new Speaker(config, {
        backend: line(),
        clock,
        log,
        metrics,
        publishState: (state) => bus.publish('playback.state', {}, state),
        publishItem: (event) => bus.publish('playback.event.item', {}, event),
        publishPlayed: (frame) => bus.publish('audio.played', {}, frame),
      });
      bus.subscribe('playback', 'audio.output', {}, ({ payload }) => speaker.play(payload));
      bus.subscribe('playback', 'playback.cmd.flush', {}, () => speaker.flush());
      bus.subscribe('playback', 'playback.cmd.volume', {}, ({ payload }) => speaker.setVolume(payload.volume));
      bus.subscribe('playback', 'playback.cmd.mute', {}, () => speaker.setMuted(true));
      bus.subscribe('playback', 'playback.cmd.unmute', {}, () => speaker.setMuted(false));
      bus.subscribe('playback', 'playback.cmd.earcon', {}, ({ payload }) => speaker.earcon(payload.name));
      speaker.start();
      return {
        stop: async () => {
          bus.unsubscribeAll('playback');
          await speaker.stop();
        },
      };
    },
  });
  return [capture as unknown as AnyServiceDefinition, playback as unknown as AnyServiceDefinition];
}
