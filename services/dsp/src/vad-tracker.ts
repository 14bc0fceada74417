import type { LOCAL_VAD_KINDS } from '@voxbus/shared';

export interface VadTransition {
  readonly kind: (typeof LOCAL_VAD_KINDS)[number];
  /** Where the voice or speech started, or where the silence that stopped it began (capture clock, µs). */
  readonly timeUs: number;
  readonly speechMs: number;
}

/**
 * Voiced voice in a row that a start needs where it asks for a vowel: a person's shortest vowels
 * last longer (espeak-ng's clipped "stop": 40 ms); a knock's thud counts 20 ms before it has died 6 dB.
 */
export const VOWEL_MS = 40;
/**
 * A gap a voiced stretch may have and still count as one: a vowel's voicing measure flickers
 * under the threshold for a chunk now and then (espeak-ng's "stop" at 10 ms chunks).
 */
const VOICED_GAP_MS = 10;
/** The most voice before a vowel that still counts as the same word's consonants ("str…"). */
const VOWEL_LEAD_MAX_MS = 300;
/**
 * The most a silence is dated back to where the quiet began: the longest hangover a voice
 * decision is known to add (WebRTC's VAD: 14 frames of 10 ms), so nothing else is taken back.
 */
export const HANGOVER_MAX_MS = 150;

/**
 * Per-chunk voice decisions made into speech turns with hysteresis: `minSpeechMs` of voice in a
 * row starts speech, `minSilenceMs` without voice ends it (a pause between words does not).
 * Where the chunks say whether they are voiced (periodic and sustained, as a person's vowels are,
 * and a cough, a click or a knock are not), a start needs a vowel in it (`VOWEL_MS` of voiced
 * voice in a row, a one-chunk gap forgiven): 150 ms of a cough's noise is not a person. Stronger evidence starts it sooner:
 * `voicedSpeechMs` of voiced voice in a row is enough, so a clear voice over the reply cuts in
 * sooner than the full minimum. The silence that ends speech may be shorter where the speech says
 * it has ended (`silenceFor`). `onsetMs` of voice in a row, before that, is said as a `voice_onset`:
 * not speech yet (it may still be a cough), but enough to hold a reply while the rest is heard.
 */
export class VadTracker {
  private speaking = false;
  /** Start of the current run of voice (or of silence, while speaking), µs; undefined outside one. */
  private runStartUs: number | undefined;
  private runMs = 0;
  /** The voiced chunks in a row at the end of the current run of voice (a one-chunk gap forgiven). */
  private voicedMs = 0;
  /** The longest stretch of voiced chunks in a row within the current run of voice. */
  private vowelMs = 0;
  /** Chunks not voiced since the last voiced one, inside a voiced stretch (ms). */
  private gapMs = 0;
  private speechStartUs = 0;
  /** The current run of voice has been said as an onset. */
  private onsetSaid = false;

  /** The silence that ends the speech, asked as each silence inside it begins. */
  private silenceNeededMs: number;

  /**
   * `voicedSpeechMs` 0: voicing is not used. `silenceFor`: the silence that ends the speech as it
   * stands (asked as a silence begins; `minSilenceMs` without it). `onsetMs` 0: no onsets.
   */
  constructor(
    private readonly minSpeechMs: number,
    minSilenceMs: number,
    private readonly voicedSpeechMs = 0,
    private readonly silenceFor: () => number = () => minSilenceMs,
    private readonly onsetMs = 0,
  ) {
    this.silenceNeededMs = minSilenceMs;
  }

  get isSpeaking(): boolean {
    return this.speaking;
  }

  /** Whether a chunk's voicing counts now: outside speech (a start needs a vowel, and vowels start it sooner). */
  get wantsVoicing(): boolean {
    return !this.speaking;
  }

  /**
   * One chunk of `chunkMs` at `timeUs`: voice or not, and outside speech whether it was voiced;
   * `voiced` undefined where voicing is no evidence (the speaker's echo may be in the microphone,
   * and what the canceller leaves of it is voiced too) or is not measured: then the minimum of
   * voice alone starts speech. `quietSinceUs`: where the run of quiet chunks this one ends began
   * (QuietTail); a silence inside speech counts from there, up to HANGOVER_MAX_MS back, as the
   * voice decision says "no voice" only after its hangover.
   */
  push(voice: boolean, timeUs: number, chunkMs: number, voiced?: boolean, quietSinceUs?: number): VadTransition | undefined {
    // Outside speech a run of voice counts up; inside it, a run of silence does.
    const countsToward = this.speaking ? !voice : voice;
    if (!countsToward) {
      this.resetRun();
      return undefined;
    }
    if (this.runStartUs === undefined) {
      this.runStartUs = timeUs;
      if (this.speaking) {
        this.silenceNeededMs = this.silenceFor();
        const quietBeforeMs = quietSinceUs === undefined ? 0 : Math.min(HANGOVER_MAX_MS, Math.max(0, (timeUs - quietSinceUs) / 1000));
        this.runStartUs -= quietBeforeMs * 1000;
        this.runMs = quietBeforeMs;
      }
    }
    this.runMs += chunkMs;
    this.countVoiced(voiced === true, chunkMs);
    this.vowelMs = Math.max(this.vowelMs, this.voicedMs);
    const vowelHeard = voiced === undefined || this.vowelMs >= Math.min(VOWEL_MS, this.minSpeechMs);
    if (!this.speaking && !vowelHeard && this.runMs > Math.max(this.minSpeechMs, VOWEL_LEAD_MAX_MS)) {
      // Voice without a vowel (a fan, running water the detector calls voice) does not pile up:
      // the run keeps only its latest stretch, so a person who then speaks over it starts where
      // that does, with no more speech counted than a word's consonants (a barge-in guard counts
      // it toward its own minimum).
      this.runStartUs = (this.runStartUs ?? timeUs) + chunkMs * 1000;
      this.runMs -= chunkMs;
    }
    const enough = this.runMs >= this.minSpeechMs && vowelHeard;
    const evidence = enough || (this.voicedSpeechMs > 0 && this.voicedMs >= this.voicedSpeechMs);
    if (!this.speaking && evidence) {
      this.speaking = true;
      this.speechStartUs = this.runStartUs;
      const started: VadTransition = { kind: 'speech_started', timeUs: this.runStartUs, speechMs: this.runMs };
      this.resetRun();
      return started;
    }
    if (!this.speaking && this.onsetMs > 0 && !this.onsetSaid && this.runMs >= this.onsetMs) {
      this.onsetSaid = true;
      return { kind: 'voice_onset', timeUs: this.runStartUs, speechMs: this.runMs };
    }
    if (this.speaking && this.runMs >= this.silenceNeededMs) {
      return this.stop(this.runStartUs);
    }
    return undefined;
  }

  /** The stream ended (the microphone muted, a gap): speech in progress stops where the audio did. */
  end(timeUs: number): VadTransition | undefined {
    if (!this.speaking) {
      this.resetRun();
      return undefined;
    }
    return this.stop(this.runStartUs ?? timeUs);
  }

  private stop(atUs: number): VadTransition {
    this.speaking = false;
    this.resetRun();
    return { kind: 'speech_stopped', timeUs: atUs, speechMs: Math.max(0, Math.round((atUs - this.speechStartUs) / 1000)) };
  }

  /** Voiced chunks in a row, a gap of up to VOICED_GAP_MS inside them forgiven (not counted). */
  private countVoiced(voiced: boolean, chunkMs: number): void {
    if (voiced) {
      this.voicedMs += chunkMs;
      this.gapMs = 0;
    } else if (this.voicedMs > 0 && this.gapMs + chunkMs <= VOICED_GAP_MS) {
      this.gapMs += chunkMs;
    } else {
      this.voicedMs = 0;
      this.gapMs = 0;
    }
  }

  private resetRun(): void {
    this.onsetSaid = false;
    this.runStartUs = undefined;
    this.runMs = 0;
    this.voicedMs = 0;
    this.vowelMs = 0;
    this.gapMs = 0;
  }
}
