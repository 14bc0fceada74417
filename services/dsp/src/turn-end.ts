/** Voiced chunks an utterance needs before its pitch is believed (200 ms of vowels). */
const MIN_VOICED_CHUNKS = 20;
/** The end is judged on the pitch of the last this-many voiced chunks (their median: one octave slip does not count). */
const END_CHUNKS = 5;
/** Pitch at the end this far below the utterance's median: a falling end, as a statement's (or a wh-question's) is. */
const FALL_RATIO = 0.85;
/** Pitches kept per utterance (30 s of vowels); beyond, the oldest go. */
const MAX_PITCHES = 3000;

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? 0;
}

/**
 * How much silence ends what a person is saying. A sentence that ends with its pitch falling
 * well below where it was (a statement, a wh-question) has ended: `endSilenceMs` is enough.
 * Anything else (a rising end: a yes/no question, or a pause at a comma before more; too little
 * voiced speech to tell) waits the full `minSilenceMs`, so a pause mid-sentence is not taken
 * for the end of the turn.
 */
export class TurnEndJudge {
  private pitches: number[] = [];
  private recent: number[] = [];

  constructor(
    private readonly minSilenceMs: number,
    private readonly endSilenceMs: number,
  ) {}

  /** A new utterance. */
  reset(): void {
    this.pitches = [];
    this.recent = [];
  }

  /** A voiced chunk of the utterance, at this pitch. */
  voiced(pitchHz: number): void {
    this.pitches.push(pitchHz);
    if (this.pitches.length > MAX_PITCHES) this.pitches.splice(0, this.pitches.length - MAX_PITCHES);
    this.recent.push(pitchHz);
    if (this.recent.length > END_CHUNKS) this.recent.shift();
  }

  /** Whether the utterance so far ends falling. */
  get fallingEnd(): boolean {
    if (this.pitches.length < MIN_VOICED_CHUNKS || this.recent.length < END_CHUNKS) return false;
    return median(this.recent) <= FALL_RATIO * median(this.pitches);
  }

  /** The silence that ends the utterance as it stands. */
  silenceMs(): number {
    return this.fallingEnd ? Math.min(this.endSilenceMs, this.minSilenceMs) : this.minSilenceMs;
  }
}
