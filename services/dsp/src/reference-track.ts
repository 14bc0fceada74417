import type { TimedSamples } from './mono-stream.js';

/** Timestamps of one stream may wander this far (ms) from its samples without being a new placement. */
const CONTINUOUS_WITHIN_MS = 2;

/**
 * The echo reference on the capture clock: what the speaker played, each sample at the index of
 * the moment it was heard (index = time × rate), so the microphone's audio of any moment can be
 * matched with what the speaker played then. A ring of `seconds`; a sample never written (or
 * overwritten since) reads as silence.
 *
 * A run of frames is laid down contiguously: a frame whose timestamp is within a couple of ms
 * of where the previous one ended goes right after it, so the timestamps' jitter never
 * duplicates or drops samples (a canceller cannot model a path that jumps by a few samples at
 * every frame). A larger jump places the frame by its own time.
 */
export class ReferenceTrack {
  private readonly samples: Int16Array;
  /** The absolute sample index each slot holds, or -1. */
  private readonly holds: Float64Array;
  /** The index just after the last sample written (-1 before any). */
  private writeEnd = -1;

  constructor(
    readonly rateHz: number,
    seconds = 2,
  ) {
    this.samples = new Int16Array(rateHz * seconds);
    this.holds = new Float64Array(rateHz * seconds).fill(-1);
  }

  write(timed: TimedSamples): void {
    let start = this.indexAt(timed.firstSampleUs);
    if (this.writeEnd >= 0 && Math.abs(start - this.writeEnd) <= (CONTINUOUS_WITHIN_MS * this.rateHz) / 1000) start = this.writeEnd;
    const size = this.samples.length;
    for (let i = 0; i < timed.samples.length; i++) {
      const at = start + i;
      const slot = at % size;
      this.samples[slot] = timed.samples[i] as number;
      this.holds[slot] = at;
    }
    this.writeEnd = start + timed.samples.length;
  }

  /** Fills `out` with the reference from sample index `start` on; returns its mean square (fraction of full scale²). */
  read(start: number, out: Int16Array): number {
    const size = this.samples.length;
    let sum = 0;
    for (let i = 0; i < out.length; i++) {
      const at = start + i;
      const slot = ((at % size) + size) % size;
      const value = this.holds[slot] === at ? (this.samples[slot] as number) : 0;
      out[i] = value;
      sum += value * value;
    }
    return sum / (out.length * 32768 * 32768);
  }

  /** The sample index of a moment on the capture clock. */
  indexAt(timeUs: number): number {
    return Math.round((timeUs * this.rateHz) / 1e6);
  }

  /** The capture-clock time just after the last sample written (-Infinity before any). */
  get endUs(): number {
    return this.writeEnd < 0 ? Number.NEGATIVE_INFINITY : (this.writeEnd * 1e6) / this.rateHz;
  }
}
