/**
 * A running quantile of a stream of values (dB here): exact over the first `warmup` values,
 * then tracked by stochastic approximation (each value moves it up by q·step when above, down by
 * (1 − q)·step when below: it settles where a fraction q of the values lies below), so it follows
 * a changing distribution with constant memory.
 */
export class QuantileTracker {
  private first: number[] | undefined = [];
  private current: number | undefined;

  constructor(
    private readonly q: number,
    private readonly warmup: number,
  ) {}

  /** The quantile, once `warmup` values have been seen. */
  get value(): number | undefined {
    return this.current;
  }

  add(value: number, step: number): void {
    if (this.first !== undefined) {
      this.first.push(value);
      if (this.first.length < this.warmup) return;
      const sorted = this.first.sort((a, b) => a - b);
      this.current = sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * this.q))] as number;
      this.first = undefined;
      return;
    }
    const current = this.current as number;
    this.current = current + step * (value > current ? this.q : this.q - 1);
  }

  reset(): void {
    this.first = [];
    this.current = undefined;
  }
}
