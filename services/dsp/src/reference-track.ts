import type { TimedSamples } from './mono-stream.js';
import { ReferenceCursor } from './reference-cursor.js';

/**
 * The echo reference on the capture clock: what the speaker played, each sample at the index of
 * the moment it was heard (index = time × rate), so the microphone's audio of any moment can be
 * matched with what the speaker played then. A ring of `seconds`; a sample never written (or
 * overwritten since) reads as silence.
 *
 * A run of frames is laid down contiguously, as the microphone's chunks are read (the same
 * ReferenceCursor): a frame's timestamp a little off where the previous one ended goes right
 * after it, so the timestamps' jitter never duplicates or drops samples (a canceller cannot
 * model a path that jumps by a few samples at every frame); a lasting offset (the stamps
 * drifting from the sample count, about half a millisecond a second on the virtual board) is
 * walked off one sample at a time; a larger jump places the frame by its own time. (Keeping
 * frames contiguous within 2 ms and placing them by their stamps beyond let the drift pile up
 * and then moved the reference 2 ms at once, every 4 s: each move shifted the echo path the
 * canceller had learnt by 2 ms.)
 */
export class ReferenceTrack {
  private readonly samples: Int16Array;
  /** The absolute sample index each slot holds, or -1. */
  private readonly holds: Float64Array;
  /** The index just after the last sample written (-1 before any). */
  private writeEnd = -1;
  private readonly placement: ReferenceCursor;
  /** Where the last samples were laid down against where their stamp put them (samples): the write cursor's drift, for the logs. */
  lastOffSamples = 0;
  /** The sample index the last samples were laid down from. */
  lastStart = 0;

  constructor(
    readonly rateHz: number,
    seconds = 2,
  ) {
    this.samples = new Int16Array(rateHz * seconds);
    this.holds = new Float64Array(rateHz * seconds).fill(-1);
    this.placement = new ReferenceCursor(rateHz);
  }

  /**
   * Lays the samples down; returns how far (samples) their timestamp moved them from where the
   * last ones ended (0 when laid down after them, a sample's step included, or the first).
   */
  write(timed: TimedSamples): number {
    const resyncs = this.placement.resyncs;
    const stamped = this.indexAt(timed.firstSampleUs);
    const start = this.placement.place(stamped, timed.samples.length);
    this.lastOffSamples = start - stamped;
    this.lastStart = start;
    const jump = this.writeEnd >= 0 && this.placement.resyncs !== resyncs ? this.placement.lastJump : 0;
    // A step a sample later leaves a slot between the runs: the last sample again, not a click of silence.
    if (jump === 0 && start === this.writeEnd + 1) this.put(this.writeEnd, timed.samples[0] as number);
    for (let i = 0; i < timed.samples.length; i++) this.put(start + i, timed.samples[i] as number);
    this.writeEnd = start + timed.samples.length;
    return jump;
  }

  private put(at: number, value: number): void {
    const slot = this.slotOf(at);
    this.samples[slot] = value;
    this.holds[slot] = at;
  }

  /** The ring slot of sample index `at` (a negative index included). */
  private slotOf(at: number): number {
    const size = this.samples.length;
    return ((at % size) + size) % size;
  }

  /** Fills `out` with the reference from sample index `start` on; returns its mean square (fraction of full scale²). */
  read(start: number, out: Int16Array): number {
    let sum = 0;
    for (let i = 0; i < out.length; i++) {
      const at = start + i;
      const slot = this.slotOf(at);
      const value = this.holds[slot] === at ? (this.samples[slot] as number) : 0;
      out[i] = value;
      sum += value * value;
    }
    return sum / (out.length * 32768 * 32768);
  }

  /** How many of the `length` samples from index `start` were never written (or overwritten since): for the logs. */
  unwritten(start: number, length: number): number {
    let count = 0;
    for (let at = start; at < start + length; at++) if (this.holds[this.slotOf(at)] !== at) count++;
    return count;
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
