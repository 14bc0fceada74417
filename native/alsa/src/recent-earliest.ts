/** The earliest of the last `size` values pushed: what a timeline takes its place from (a stamp is more often late than early). */
export class RecentEarliest {
  private readonly values: Float64Array;
  private count = 0;
  private next = 0;

  constructor(size: number) {
    this.values = new Float64Array(size);
  }

  clear(): void {
    this.count = 0;
    this.next = 0;
  }

  push(value: number): void {
    this.values[this.next] = value;
    this.next = (this.next + 1) % this.values.length;
    this.count = Math.min(this.count + 1, this.values.length);
  }

  /** The earliest value kept (+Infinity when none). */
  get earliest(): number {
    let earliest = Number.POSITIVE_INFINITY;
    for (let i = 0; i < this.count; i++) earliest = Math.min(earliest, this.values[i] as number);
    return earliest;
  }
}
