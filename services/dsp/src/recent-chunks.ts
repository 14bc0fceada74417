/** The chunks' figures, oldest first: levels in dBFS, offsets in ms, each rounded. */
export interface RecentChunksSaid {
  readonly micDbfs: number[];
  readonly residualDbfs: number[];
  readonly referenceDbfs: number[];
  readonly placedOffMs: number[];
}

/**
 * The last few microphone chunks as the echo path saw them, for the log line of a gate opening:
 * what led to it. (One chunk's figures cannot tell a canceller leaking since the reply began from
 * a voice that began just then, nor a reference drifted from its stamps from one placed right.)
 * Kept in typed columns: it is written for every chunk, 100 a second, and read once an opening.
 */
export class RecentChunks {
  private readonly mic: Float64Array;
  private readonly residual: Float64Array;
  private readonly reference: Float64Array;
  private readonly placedOff: Float64Array;
  private next = 0;
  private count = 0;

  constructor(
    private readonly size: number,
    private readonly rateHz: number,
  ) {
    this.mic = new Float64Array(size);
    this.residual = new Float64Array(size);
    this.reference = new Float64Array(size);
    this.placedOff = new Float64Array(size);
  }

  /**
   * One chunk: its powers (mean square) and where its reference was read against where its stamp
   * and the delay put it (samples: the read cursor's drift).
   */
  add(micPower: number, residualPower: number, referencePower: number, placedOffSamples: number): void {
    this.mic[this.next] = micPower;
    this.residual[this.next] = residualPower;
    this.reference[this.next] = referencePower;
    this.placedOff[this.next] = placedOffSamples;
    this.next = (this.next + 1) % this.size;
    this.count = Math.min(this.count + 1, this.size);
  }

  said(): RecentChunksSaid {
    const first = (this.next - this.count + this.size) % this.size;
    const column = (values: Float64Array, as: (value: number) => number) => Array.from({ length: this.count }, (_, i) => as(values[(first + i) % this.size] as number));
    const db = (power: number) => Math.round(10 * Math.log10(power + 1e-12));
    return {
      micDbfs: column(this.mic, db),
      residualDbfs: column(this.residual, db),
      referenceDbfs: column(this.reference, db),
      placedOffMs: column(this.placedOff, (samples) => Math.round((10_000 * samples) / this.rateHz) / 10),
    };
  }
}
