import type { DspConfig } from './config.js';
import { TurnEndJudge } from './turn-end.js';
import { type VadTransition, VadTracker } from './vad-tracker.js';
import { VoicingMeter } from './voicing.js';

/**
 * Voicing (0–1) from which a chunk of voice counts as voiced: a person's vowels score above it;
 * noise, clicks and a cough's burst below (services/dsp/test/voicing.test.ts).
 */
const VOICED_STRENGTH = 0.6;

type VadSettings = Pick<DspConfig, 'vadMinSpeechMs' | 'vadMinSilenceMs' | 'vadVoicedSpeechMs' | 'vadEndSilenceMs'>;

/**
 * The dsp's VAD on the cancelled audio: per-chunk voice decisions made into speech with
 * hysteresis (VadTracker), and the voicing of the chunks that have voice. Outside speech, vowels
 * start speech sooner; inside it, their pitch says whether the sentence ended falling, which
 * shortens the silence that ends the turn (TurnEndJudge).
 */
export class VoiceActivity {
  private readonly tracker: VadTracker;
  private readonly voicing: VoicingMeter;
  private readonly turnEnd: TurnEndJudge;
  /** Pitch is followed inside speech only where a falling end can shorten the wait. */
  private readonly judgesEnds: boolean;

  constructor(rateHz: number, settings: VadSettings) {
    this.voicing = new VoicingMeter(rateHz);
    this.turnEnd = new TurnEndJudge(settings.vadMinSilenceMs, settings.vadEndSilenceMs);
    this.tracker = new VadTracker(settings.vadMinSpeechMs, settings.vadMinSilenceMs, settings.vadVoicedSpeechMs, () => this.turnEnd.silenceMs());
    this.judgesEnds = settings.vadEndSilenceMs < settings.vadMinSilenceMs;
  }

  /**
   * One chunk (cancelled, `chunkMs` long, at `timeUs`), whether it holds a voice, and whether the
   * speaker's echo may be in it. Over an echo, vowels do not start speech sooner: what the
   * canceller leaves of the assistant's own voice is voiced too, and the full minimum is what keeps
   * it from passing for a person (issue 13's self-interruptions came back with the shortcut there).
   */
  push(samples: Int16Array, voice: boolean, timeUs: number, chunkMs: number, echoPossible: boolean): VadTransition | undefined {
    const measure = this.tracker.wantsVoicing || (this.tracker.isSpeaking && this.judgesEnds);
    if (measure) this.voicing.push(samples);
    const voiced = voice && measure && this.voicing.strength() >= VOICED_STRENGTH;
    if (voiced && this.tracker.isSpeaking) this.turnEnd.voiced(this.voicing.pitchHz());
    const transition = this.tracker.push(voice, timeUs, chunkMs, voiced && !echoPossible && this.tracker.wantsVoicing);
    if (transition?.kind === 'speech_started') this.turnEnd.reset();
    return transition;
  }

  /** The stream ended: speech in progress stops where the audio did. */
  end(timeUs: number): VadTransition | undefined {
    this.voicing.reset();
    return this.tracker.end(timeUs);
  }
}
