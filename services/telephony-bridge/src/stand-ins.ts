import { CAPTURE_DEFAULTS } from '@voxbus/audio-capture/dist/config.js';
import { microphoneService } from '@voxbus/audio-capture/dist/microphone-service.js';
import { PLAYBACK_DEFAULTS } from '@voxbus/playback/dist/config.js';
import { speakerService } from '@voxbus/playback/dist/speaker-service.js';
import { type AnyServiceDefinition, packageVersion } from '@voxbus/shared';
import { type CallLine, LINE_DEVICE } from './call-line.js';

/**
 * The microphone and the speaker during calls: the project's own audio-capture and playback
 * services (Microphone, Speaker: frames, mutes, jitter buffer, flush, item events, echo
 * reference, wired to the bus as those services wire them) run on the call line instead of ALSA,
 * under the names of the services they replace (logged in as the bridge, whose grant covers their
 * topics: STANDS_IN_FOR), so the dsp, gateway and conversation-state, the conformance kits and the
 * broker's access rules see exactly the audio-capture and playback they know. Their settings are
 * those services' own (VOXBUS_AUDIO_CAPTURE__…, VOXBUS_PLAYBACK__…); the device is the line,
 * whatever is asked.
 */
export function standIns(line: () => CallLine): AnyServiceDefinition[] {
  const version = packageVersion(import.meta.url);
  const capture = microphoneService({ backend: line, login: 'telephony-bridge', version, configDefaults: { ...CAPTURE_DEFAULTS, device: LINE_DEVICE } });
  // The line's jitter buffer: the call's own network and the platform's buffer come after it.
  const playback = speakerService({ backend: line, login: 'telephony-bridge', version, configDefaults: { ...PLAYBACK_DEFAULTS, device: LINE_DEVICE, channels: 1, sampleRateHz: 24_000 } });
  return [capture as unknown as AnyServiceDefinition, playback as unknown as AnyServiceDefinition];
}
