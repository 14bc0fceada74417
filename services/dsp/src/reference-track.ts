import type { TimedSamples } from './mono-stream.js';

/**
 * The echo reference on the capture clock: what the speaker played, placed by the time each
 * sample was heard, so the microphone's audio of any moment can be matched with what the
 * speaker was playing then. A ring of `seconds`; any sample never written (or overwritten
 * since) reads as silence.
 */
export class ReferenceTrack {
  private readonly samples: Int16Array;
  /** The absolute sample index each slot holds, or -1. */
  private readonly holds: Float64Array;
  private lastWrittenUs = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly rateHz: number,
    seconds = 2,
  ) {
    this.samples = new Int16Array(rateHz * seconds);
    this.holds = new Float64Array(rateHz * seconds).fill(-1);
  }

  write(timed: TimedSamples): void {
    const start = this.index(timed.firstSampleUs);
    const size = this.samples.length;
    for (let i = 0; i < timed.samples.length; i++) {
      const at = start + i;
      const slot = at % size;
      this.samples[slot] = timed.samples[i] as number;
      this.holds[slot] = at;
    }
    this.lastWrittenUs = timed.firstSampleUs + (timed.samples.length * 1e6) / this.rateHz;
  }

  /** Fills `out` with the reference from `firstSampleUs` on; returns its mean square (fraction of full scale²). */
  read(firstSampleUs: number, out: Int16Array): number {
    const start = this.index(firstSampleUs);
    const size = this.samples.length;
    let sum = 0;
    for (let i = 0; i < out.length; i++) {
      const at = start + i;
      const slot = at % size;
      const value = this.holds[slot] === at ? (this.samples[slot] as number) : 0;
      out[i] = value;
      sum += value * value;
    }
    return sum / (out.length * 32768 * 32768);
  }

  /** The capture-clock time just after the last sample written (-Infinity before any). */
  get endUs(): number {
    return this.lastWrittenUs;
  }

  private index(timeUs: number): number {
    return Math.round((timeUs * this.rateHz) / 1e6);
  }
}
