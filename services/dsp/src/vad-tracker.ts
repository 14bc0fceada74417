export interface VadTransition {
  readonly kind: 'speech_started' | 'speech_stopped';
  /** Where the speech started, or where the silence that stopped it began (capture clock, µs). */
  readonly timeUs: number;
  readonly speechMs: number;
}

/**
 * Per-chunk voice decisions made into speech turns with hysteresis: `minSpeechMs` of voice in a
 * row starts speech (a cough or a click does not), `minSilenceMs` without voice ends it (a
 * pause between words does not). Stronger evidence starts it sooner: `voicedSpeechMs` of voice
 * that is also voiced (periodic, as a person's vowels are, and a cough, a click or a knock are
 * not) in a row is enough, so a clear voice over the reply cuts in sooner than the full minimum.
 * The silence that ends speech may be shorter where the speech says it has ended (`silenceFor`).
 */
export class VadTracker {
  private speaking = false;
  /** Start of the current run of voice (or of silence, while speaking), µs; undefined outside one. */
  private runStartUs: number | undefined;
  private runMs = 0;
  /** The voiced chunks in a row at the end of the current run of voice. */
  private voicedMs = 0;
  private speechStartUs = 0;

  /** The silence that ends the speech, asked as each silence inside it begins. */
  private silenceNeededMs: number;

  /**
   * `voicedSpeechMs` 0: voicing is not used. `silenceFor`: the silence that ends the speech as it
   * stands (asked as a silence begins; `minSilenceMs` without it).
   */
  constructor(
    private readonly minSpeechMs: number,
    minSilenceMs: number,
    private readonly voicedSpeechMs = 0,
    private readonly silenceFor: () => number = () => minSilenceMs,
  ) {
    this.silenceNeededMs = minSilenceMs;
  }

  get isSpeaking(): boolean {
    return this.speaking;
  }

  /** Whether a chunk's voicing could start speech now: outside speech, inside a run of voice. */
  get wantsVoicing(): boolean {
    return this.voicedSpeechMs > 0 && !this.speaking;
  }

  /** One chunk of `chunkMs` at `timeUs`: voice or not, and (outside speech) whether it was voiced. */
  push(voice: boolean, timeUs: number, chunkMs: number, voiced = false): VadTransition | undefined {
    // Outside speech a run of voice counts up; inside it, a run of silence does.
    const countsToward = this.speaking ? !voice : voice;
    if (!countsToward) {
      this.runStartUs = undefined;
      this.runMs = 0;
      this.voicedMs = 0;
      return undefined;
    }
    if (this.runStartUs === undefined) {
      this.runStartUs = timeUs;
      if (this.speaking) this.silenceNeededMs = this.silenceFor();
    }
    this.runMs += chunkMs;
    this.voicedMs = voiced ? this.voicedMs + chunkMs : 0;
    const evidence = this.runMs >= this.minSpeechMs || (this.voicedSpeechMs > 0 && this.voicedMs >= this.voicedSpeechMs);
    if (!this.speaking && evidence) {
      this.speaking = true;
      this.speechStartUs = this.runStartUs;
      const started: VadTransition = { kind: 'speech_started', timeUs: this.runStartUs, speechMs: this.runMs };
      this.runStartUs = undefined;
      this.runMs = 0;
      this.voicedMs = 0;
      return started;
    }
    if (this.speaking && this.runMs >= this.silenceNeededMs) {
      return this.stop(this.runStartUs);
    }
    return undefined;
  }

  /** The stream ended (the microphone muted, a gap): speech in progress stops where the audio did. */
  end(timeUs: number): VadTransition | undefined {
    if (!this.speaking) {
      this.runStartUs = undefined;
      this.runMs = 0;
      this.voicedMs = 0;
      return undefined;
    }
    return this.stop(this.runStartUs ?? timeUs);
  }

  private stop(atUs: number): VadTransition {
    this.speaking = false;
    this.runStartUs = undefined;
    this.runMs = 0;
    this.voicedMs = 0;
    return { kind: 'speech_stopped', timeUs: atUs, speechMs: Math.max(0, Math.round((atUs - this.speechStartUs) / 1000)) };
  }
}
