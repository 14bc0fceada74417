import type { TimedSamples } from './mono-stream.js';

export interface TimedChunk {
  readonly samples: Int16Array;
  readonly timeUs: number;
}

/** Cuts timed samples into fixed chunks (10 ms for the voice processor), each with the time of its first sample. */
export class ChunkAssembler {
  private pending: Int16Array;
  private filled = 0;
  private pendingTimeUs = 0;

  constructor(
    private readonly chunkSamples: number,
    private readonly rateHz: number,
  ) {
    this.pending = new Int16Array(chunkSamples);
  }

  push(timed: TimedSamples): TimedChunk[] {
    const chunks: TimedChunk[] = [];
    let from = 0;
    while (from < timed.samples.length) {
      if (this.filled === 0) this.pendingTimeUs = timed.firstSampleUs + (from * 1e6) / this.rateHz;
      const take = Math.min(this.chunkSamples - this.filled, timed.samples.length - from);
      this.pending.set(timed.samples.subarray(from, from + take), this.filled);
      this.filled += take;
      from += take;
      if (this.filled === this.chunkSamples) {
        chunks.push({ samples: this.pending, timeUs: this.pendingTimeUs });
        this.pending = new Int16Array(this.chunkSamples);
        this.filled = 0;
      }
    }
    return chunks;
  }

  /** The part-filled chunk, padded with silence (none when empty): the end of a stream loses nothing. */
  flush(): TimedChunk | undefined {
    if (this.filled === 0) return undefined;
    const chunk = { samples: this.pending, timeUs: this.pendingTimeUs };
    this.pending = new Int16Array(this.chunkSamples);
    this.filled = 0;
    return chunk;
  }
}
