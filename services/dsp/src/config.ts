import { ECHO_SUPPRESSION_LEVELS, NOISE_LEVELS, VAD_LIKELIHOODS } from '@voxbus/dsp';
import { type Static, Type } from '@sinclair/typebox';
import { StringEnum } from '@voxbus/shared';

/**
 * The chain, in order: DC removal → downmix → resample to 24 kHz → echo cancellation → noise
 * suppression → gain → audio/input, with the VAD and the meters beside it. Downmix and resample
 * are the conversions audio/input's format requires, and act only when the input needs them;
 * every other stage can be switched off.
 */
export const DspConfigSchema = Type.Object(
  {
    engine: StringEnum(['auto', 'webrtc', 'speex'], { description: '`auto`: webrtc where the addon has it, else speex' }),
    dcRemoval: Type.Boolean({ description: 'high-pass filter (2nd-order Butterworth) against DC offset and rumble' }),
    highPassHz: Type.Number({ minimum: 5, maximum: 300, description: 'its cut-off' }),
    downmix: StringEnum(['mix', 'pick'], { description: 'multi-channel input: `mix` averages the channels, `pick` takes `pickChannel`' }),
    pickChannel: Type.Integer({ minimum: 0, maximum: 31, description: 'the channel `pick` takes, from 0' }),
    resampleQuality: Type.Integer({ minimum: 0, maximum: 10, description: 'speexdsp quality, 0–10' }),
    echoCancellation: Type.Boolean({ description: 'cancel what the speaker plays (audio/played) from the microphone' }),
    echoSuppression: StringEnum([...ECHO_SUPPRESSION_LEVELS], { description: 'how hard the residual echo is suppressed' }),
    echoTailMs: Type.Integer({ minimum: 10, maximum: 1000, description: 'the longest echo modelled (speex engine)' }),
    echoDelayMs: Type.Integer({
      minimum: 0,
      maximum: 1000,
      description: 'where to start: how much later than its played timestamp the echo reaches the microphone (a sound server, a long room); the dsp then finds it from the signals',
    }),
    echoDelayMaxMs: Type.Integer({ minimum: 50, maximum: 1000, description: 'the longest delay the dsp looks for' }),
    convergedErleDb: Type.Number({ minimum: 3, maximum: 60, description: 'echo removed (dB, the median over echo-only audio) for the canceller to count as converged' }),
    doubleTalkMarginDb: Type.Number({
      minimum: 3,
      maximum: 40,
      description: 'while the speaker plays, a chunk holds a voice when the canceller left this much more of it than of echo alone',
    }),
    doubleTalkMinMs: Type.Integer({ minimum: 10, maximum: 200, multipleOf: 10, description: 'a voice over the speaker must be heard this long in a row to open the echo gate' }),
    echoLeakCorrelation: Type.Number({
      minimum: 0.05,
      maximum: 1,
      description: 'what the canceller left is the speaker\'s own sound, not a voice, when it correlates this much with what the speaker played',
    }),
    echoGateDb: Type.Number({ minimum: 0, maximum: 80, description: 'how much echo-only audio is attenuated after the canceller, before the model and the VAD hear it' }),
    echoGateHoldMs: Type.Integer({ minimum: 0, maximum: 2000, description: 'how long the gate stays open after a voice over the speaker' }),
    noiseSuppression: Type.Boolean(),
    noiseLevel: StringEnum([...NOISE_LEVELS]),
    gainControl: Type.Boolean({ description: 'automatic gain: quiet talkers raised, loud ones limited' }),
    gainTargetDbfs: Type.Integer({ minimum: 0, maximum: 31, description: 'peaks aimed at this many dB below full scale' }),
    gainMaxDb: Type.Integer({ minimum: 0, maximum: 90, description: 'the most gain applied' }),
    vad: Type.Boolean({ description: 'local voice activity detection on dsp/event/vad' }),
    vadLikelihood: StringEnum([...VAD_LIKELIHOODS], { description: 'how sure the detector must be per 10 ms; higher: fewer false starts' }),
    vadMinSpeechMs: Type.Integer({ minimum: 10, maximum: 5000, description: 'speech needed before speech_started; where no echo can be in the microphone it must hold a vowel (40 ms voiced), so a cough, a click or a knock does not start speech' }),
    vadOnsetMs: Type.Integer({
      minimum: 0,
      maximum: 5000,
      description: 'voice in a row said as a voice_onset before speech_started (not yet speech: a cough is one too), so a reply can be held while the rest is heard; 0: off',
    }),
    vadVoicedSpeechMs: Type.Integer({ minimum: 0, maximum: 5000, description: 'voiced speech (periodic, as vowels are; a cough or a click is not) in a row that starts speech sooner than vadMinSpeechMs; 0: off' }),
    vadMinSilenceMs: Type.Integer({ minimum: 10, maximum: 10_000, description: 'silence needed before speech_stopped, counted from the last sound (not the voice decision\'s hangover)' }),
    vadEndSilenceMs: Type.Integer({ minimum: 10, maximum: 10_000, description: 'silence that is enough after a sentence whose pitch fell at its end (a statement); rising or unclear ends wait vadMinSilenceMs' }),
    frameMs: Type.Integer({ minimum: 10, maximum: 200, multipleOf: 10, description: 'duration of each audio/input frame' }),
    levelsIntervalMs: Type.Integer({ minimum: 20, maximum: 10_000, multipleOf: 10, description: 'how often dsp/event/levels is published while there is sound' }),
    levelsQuietIntervalMs: Type.Integer({ minimum: 20, maximum: 60_000, multipleOf: 10, description: 'how often at most dsp/event/levels is published in silence' }),
    levelsQuietDbfs: Type.Number({ minimum: -120, maximum: 0, description: 'microphone and output RMS both below this, with no voice, is silence for the levels' }),
    idleAfterMs: Type.Integer({ minimum: 100, maximum: 60_000, description: 'no microphone audio for this long: state `waiting`' }),
  },
  { additionalProperties: false },
);

export type DspConfig = Static<typeof DspConfigSchema>;

export const DSP_DEFAULTS: DspConfig = {
  engine: 'auto',
  dcRemoval: true,
  highPassHz: 80,
  downmix: 'mix',
  pickChannel: 0,
  resampleQuality: 5,
  echoCancellation: true,
  echoSuppression: 'moderate',
  echoTailMs: 200,
  echoDelayMs: 0,
  echoDelayMaxMs: 500,
  convergedErleDb: 20,
  doubleTalkMarginDb: 10,
  doubleTalkMinMs: 20,
  echoLeakCorrelation: 0.25,
  echoGateDb: 40,
  echoGateHoldMs: 300,
  noiseSuppression: true,
  noiseLevel: 'moderate',
  gainControl: true,
  gainTargetDbfs: 3,
  gainMaxDb: 20,
  vad: true,
  vadLikelihood: 'low',
  vadMinSpeechMs: 150,
  vadOnsetMs: 30,
  vadVoicedSpeechMs: 80,
  vadMinSilenceMs: 600,
  vadEndSilenceMs: 200,
  frameMs: 20,
  // Five a second: a meter moves smoothly enough, and every message costs each subscriber a parse.
  levelsIntervalMs: 200,
  levelsQuietIntervalMs: 1000,
  levelsQuietDbfs: -50,
  idleAfterMs: 500,
};
