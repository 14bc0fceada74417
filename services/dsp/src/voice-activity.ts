import type { DspConfig } from './config.js';
import { power } from './pcm.js';
import { QuietTail } from './quiet-tail.js';
import { TurnEndJudge } from './turn-end.js';
import { type VadTransition, VadTracker } from './vad-tracker.js';
import { VoicingMeter } from './voicing.js';

/**
 * Voicing (0–1) from which a chunk of voice counts as voiced: a person's vowels score above it;
 * noise, clicks and a cough's burst below (services/dsp/test/voicing.test.ts).
 */
const VOICED_STRENGTH = 0.6;
/**
 * A voiced chunk counts as a vowel's only while it holds its loudness: within 4 dB (0.4 of the
 * energy) of the loudest of the chunks in the last 80 ms. A knock's thud is periodic while it
 * rings but dies ~6 dB every 10 ms (bench:e2e's: 5.8 dB); a vowel holds. With a 6 dB bound a loud
 * knock, clipped at its peak, held for 40 ms at some chunk alignments and started speech.
 */
const SUSTAIN_ENERGY_RATIO = 0.4;
const SUSTAIN_CHUNKS = 8;

type VadSettings = Pick<DspConfig, 'vadMinSpeechMs' | 'vadMinSilenceMs' | 'vadVoicedSpeechMs' | 'vadEndSilenceMs' | 'vadOnsetMs'>;

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
  /** The energy (mean square) of the latest chunks, circular. */
  private readonly energies = new Float64Array(SUSTAIN_CHUNKS);
  private chunks = 0;
  /** Where the voice really went quiet: the voice decision's hangover is not counted as speech. */
  private readonly quietTail: QuietTail;

  constructor(rateHz: number, chunkMs: number, settings: VadSettings) {
    this.quietTail = new QuietTail(chunkMs);
    this.voicing = new VoicingMeter(rateHz);
    this.turnEnd = new TurnEndJudge(settings.vadMinSilenceMs, settings.vadEndSilenceMs);
    this.tracker = new VadTracker(settings.vadMinSpeechMs, settings.vadMinSilenceMs, settings.vadVoicedSpeechMs, () => this.turnEnd.silenceMs(), settings.vadOnsetMs);
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
    const energy = power(samples);
    const sustained = this.sustained(energy);
    this.quietTail.push(energy, timeUs, this.tracker.isSpeaking, voice);
    const voiced = voice && measure && this.voicing.strength() >= VOICED_STRENGTH;
    if (voiced && this.tracker.isSpeaking) this.turnEnd.voiced(this.voicing.pitchHz());
    // Voicing is evidence only outside speech and where no echo can be in the microphone.
    const evidence = this.tracker.wantsVoicing && !echoPossible ? voiced && sustained : undefined;
    const transition = this.tracker.push(voice, timeUs, chunkMs, evidence, this.quietTail.sinceUs);
    if (transition?.kind === 'speech_started') {
      this.turnEnd.reset();
      this.quietTail.startUtterance();
    }
    return transition;
  }

  /** The stream ended: speech in progress stops where the audio did. */
  end(timeUs: number): VadTransition | undefined {
    this.voicing.reset();
    this.energies.fill(0);
    return this.tracker.end(timeUs);
  }

  /** Whether a chunk of this energy holds the loudness of the last few (see SUSTAIN_ENERGY_RATIO). */
  private sustained(energy: number): boolean {
    this.energies[this.chunks++ % SUSTAIN_CHUNKS] = energy;
    let loudest = 0;
    for (const value of this.energies) loudest = Math.max(loudest, value);
    return energy > 0 && energy >= loudest * SUSTAIN_ENERGY_RATIO;
  }
}
