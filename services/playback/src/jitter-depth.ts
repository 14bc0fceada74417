/**
 * How much audio a reply gathers before it starts to play: the jitter buffer's depth, learned.
 *
 * A realtime model streams its reply faster than real time, so a fixed wait before playing only
 * delays every reply. The depth starts at `initialMs` (0 by default: play at once) and grows by
 * `growMs` (up to `maxMs`) each time the speaker ran dry while an item was still arriving, which
 * is the only evidence that the network delivers slower than the speaker plays. Each reply that
 * plays through without running dry takes `shrinkMs` off again, down to `initialMs`: a passing
 * bad spell of the network costs a few replies some latency, not all of them.
 */
export interface JitterDepthOptions {
  readonly initialMs: number;
  readonly maxMs: number;
  readonly growMs: number;
  readonly shrinkMs: number;
}

export class JitterDepth {
  private currentMs: number;
  /** A reply is playing (or played) since the last start and has not run dry. */
  private cleanSoFar = false;

  constructor(private readonly options: JitterDepthOptions) {
    this.currentMs = options.initialMs;
  }

  get depthMs(): number {
    return this.currentMs;
  }

  /** An item ran dry while more of it was still to come. */
  underrun(): void {
    this.cleanSoFar = false;
    this.currentMs = Math.min(this.options.maxMs, this.currentMs + this.options.growMs);
  }

  /** A new reply starts from silence: the one before it, if it never ran dry, shrinks the depth. */
  replyStarts(): void {
    if (this.cleanSoFar) this.currentMs = Math.max(Math.min(this.options.initialMs, this.options.maxMs), this.currentMs - this.options.shrinkMs);
    this.cleanSoFar = true;
  }
}
