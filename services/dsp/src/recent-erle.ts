/**
 * The echo the canceller has removed lately: the median, over the last `chunks` chunks in which
 * the speaker sounded, of microphone over residual (dB). Every such chunk counts, a voice over
 * the speaker included: judging which chunks are echo alone is the gate's call, and a canceller
 * leaking after the path moved makes the gate hear a voice, so leaving those chunks out would
 * keep only the ones the canceller still gets right. A voice over a reply lasts until the reply
 * is cut (a few hundred ms), under half the window, so the median stays on the echo; a moved path
 * leaks in every chunk and brings it down within half the window. Unlike the gate's ERLE, which
 * moves a fraction of a dB per chunk, it tells within about half a second whether the canceller
 * removes the echo where its reference is placed now.
 */
export class RecentErle {
  private readonly values: Float64Array;
  private next = 0;
  private count = 0;

  constructor(chunks: number) {
    this.values = new Float64Array(chunks);
  }

  /** One chunk the speaker sounded in: the microphone's power before the canceller and what it left. */
  add(micPower: number, residualPower: number): void {
    this.values[this.next] = 10 * Math.log10((micPower + 1e-12) / (residualPower + 1e-12));
    this.next = (this.next + 1) % this.values.length;
    this.count = Math.min(this.count + 1, this.values.length);
  }

  /** The median dB removed over the window; undefined until the window has filled. */
  get db(): number | undefined {
    if (this.count < this.values.length) return undefined;
    const sorted = Float64Array.from(this.values).sort();
    return sorted[Math.floor(sorted.length / 2)];
  }

  /** What was measured no longer describes the path (it moved, or a stream restarted). */
  reset(): void {
    this.next = 0;
    this.count = 0;
  }
}
