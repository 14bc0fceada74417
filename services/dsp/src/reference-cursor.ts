/**
 * Where each microphone chunk reads its reference: contiguously, one chunk after the other,
 * whatever the microphone's timestamps do. The microphone's frames are stamped with up to a
 * millisecond of jitter; reading the reference at each chunk's own stamp would make the echo
 * path the canceller sees jump by as many samples at every frame.
 *
 * The ideal place (from the chunk's timestamp and the echo delay) is followed, not copied:
 * a jump beyond `resyncMs` (a new stream, a new delay estimate) moves the cursor there at
 * once; a lasting offset smaller than that (two devices' clocks drifting apart) is walked off
 * one sample at a time, once its smoothed value passes `driftMs`.
 */
export class ReferenceCursor {
  private next: number | undefined;
  /** The ideal minus the cursor, smoothed over about a second (samples). */
  private error = 0;
  private readonly resyncSamples: number;
  private readonly driftSamples: number;
  /** Moves to the ideal place, and single-sample steps toward it: for the dsp's metrics. */
  resyncs = 0;
  driftSteps = 0;
  /** How far (samples) the last resync moved the cursor (0 for a first placement). */
  lastJump = 0;

  constructor(rateHz: number, resyncMs = 3, driftMs = 0.5) {
    this.resyncSamples = (rateHz * resyncMs) / 1000;
    this.driftSamples = (rateHz * driftMs) / 1000;
  }

  /** The index a chunk of `chunkSamples` should read from, given where its timestamp puts it. */
  place(ideal: number, chunkSamples: number): number {
    let at = this.next;
    if (at === undefined || Math.abs(ideal - at) > this.resyncSamples) {
      this.lastJump = at === undefined ? 0 : ideal - at;
      at = ideal;
      this.error = 0;
      this.resyncs++;
    } else {
      this.error += SMOOTHING * (ideal - at - this.error);
      if (Math.abs(this.error) > this.driftSamples) {
        const step = Math.sign(this.error);
        at += step;
        this.error -= step;
        this.driftSteps++;
      }
    }
    this.next = at + chunkSamples;
    return at;
  }

  /** The next chunk is placed afresh (the microphone's stream restarted). */
  reset(): void {
    this.next = undefined;
    this.error = 0;
  }
}

/** Per 10 ms chunk: the smoothing reaches about a second. */
const SMOOTHING = 0.01;
