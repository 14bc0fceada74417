/**
 * Service-specific counters and gauges, published with every metrics sample under
 * `counters`. Names use dots and units: `frames.dropped`, `queue.depthFrames`.
 */
export interface Counter {
  inc(by?: number): void;
  readonly value: number;
}

export class MetricsRegistry {
  private readonly counters = new Map<string, { value: number }>();
  private readonly gauges = new Map<string, () => number>();

  counter(name: string): Counter {
    let cell = this.counters.get(name);
    if (!cell) {
      cell = { value: 0 };
      this.counters.set(name, cell);
    }
    const held = cell;
    return {
      inc: (by = 1) => {
        held.value += by;
      },
      get value() {
        return held.value;
      },
    };
  }

  /** A value read at sampling time (a queue depth, a buffer fill); must be a non-negative integer. */
  gauge(name: string, read: () => number): void {
    this.gauges.set(name, read);
  }

  snapshot(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const [name, cell] of this.counters) out[name] = cell.value;
    for (const [name, read] of this.gauges) out[name] = Math.max(0, Math.round(read()));
    return out;
  }
}
