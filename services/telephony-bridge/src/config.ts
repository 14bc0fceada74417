import { type Static, Type } from '@sinclair/typebox';
import { StringEnum } from '@voxbus/shared';

export const TelephonyConfigSchema = Type.Object(
  {
    enabled: Type.Boolean({ description: 'run the bridge (the run command starts it, in place of audio-capture and playback, only when this is set)' }),
    host: Type.String({ minLength: 1, description: 'address the WebSocket server listens on (0.0.0.0: every interface, for a PBX or ACS elsewhere)' }),
    port: Type.Integer({ minimum: 0, maximum: 65_535, description: 'TCP port of the WebSocket server (0: any free one, said in the log)' }),
    lineRateHz: Type.Integer({
      minimum: 8000,
      maximum: 48_000,
      description: 'the rate of the "line" the stand-in microphone and speaker run at: the call\'s audio is resampled to it on the way in and from it on the way out (24 kHz: the model\'s, so the reply is resampled once)',
    }),
    periodMs: Type.Integer({ minimum: 10, maximum: 60, multipleOf: 10, description: 'the line\'s period: how often a slice of the call goes to the bus and of the reply into the call (20 ms: FreeSWITCH\'s frame)' }),
    bufferPeriods: Type.Integer({
      minimum: 1,
      maximum: 10,
      description: 'periods of the reply counted as on their way to the caller when position and heardMs are said (the platform\'s own buffer; the bridge sends in real time, so little more)',
    }),
    inboundJitterMs: Type.Integer({ minimum: 0, maximum: 500, description: 'caller audio gathered before it is played into the microphone, and again after it ran dry (network jitter)' }),
    inboundMaxMs: Type.Integer({ minimum: 100, maximum: 10_000, description: 'caller audio waiting beyond this is dropped, oldest first, and counted (the bus fell behind)' }),
    freeswitchRateHz: Type.Integer({
      minimum: 8000,
      maximum: 48_000,
      description: 'the rate of a FreeSWITCH stream whose URL does not say it (`?rate=16000`): the `<sampling-rate>` given to `uuid_audio_stream … start` (8000: G.711\'s)',
    }),
    freeswitchReply: StringEnum(['streamAudio', 'binary'], {
      description: '`streamAudio`: the reply as mod_audio_stream\'s JSON (base64 raw L16 at the call\'s rate); `binary`: raw L16 binary frames, for the bidirectional builds that play those',
    }),
    freeswitchClear: Type.String({
      description: 'the text sent to FreeSWITCH when the reply is flushed (barge-in): empty sends nothing (the bridge sends in real time, so only its last period is in FreeSWITCH\'s hands)',
    }),
    conversationPerCall: Type.Boolean({ description: 'start the conversation when a call comes and end it at hang-up (and keep it ended between calls)' }),
    maxMessageBytes: Type.Integer({ minimum: 1024, maximum: 16 * 1024 * 1024, description: 'the largest WebSocket message taken (a larger one closes the stream with 1009)' }),
    resampleQuality: Type.Integer({ minimum: 0, maximum: 10, description: 'speexdsp quality between the call\'s rate and the line\'s, 0–10' }),
  },
  { additionalProperties: false },
);

export type TelephonyConfig = Static<typeof TelephonyConfigSchema>;

export const TELEPHONY_DEFAULTS: TelephonyConfig = {
  enabled: true,
  host: '0.0.0.0',
  port: 8090,
  lineRateHz: 24_000,
  periodMs: 20,
  bufferPeriods: 2,
  inboundJitterMs: 40,
  inboundMaxMs: 1000,
  freeswitchRateHz: 8000,
  freeswitchReply: 'streamAudio',
  // The message mod_audio_stream's bidirectional build is asked to drop its playback queue with
  // (its users call it killAudio: voxcom-us/mod_audio_stream#2); a build without it logs it as a json event.
  freeswitchClear: '{"type":"killAudio"}',
  conversationPerCall: true,
  maxMessageBytes: 1024 * 1024,
  resampleQuality: 5,
};
