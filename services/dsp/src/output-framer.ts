import type { AudioFrame } from '@voxbus/shared';
import type { TimedChunk } from './chunk-assembler.js';
import { int16Bytes } from './pcm.js';

const TWO_POW_32 = 0x1_0000_0000;

/**
 * Gathers processed 10 ms chunks into audio/input frames of `frameMs` (24 kHz mono s16),
 * numbered: the sequence skips where input was lost, so the consumer sees the loss, and runs
 * on where the input merely paused (a muted microphone).
 */
export class OutputFramer {
  private chunks: TimedChunk[] = [];
  private sequence = 0;

  constructor(
    private readonly rateHz: number,
    private readonly chunksPerFrame: number,
  ) {}

  push(chunk: TimedChunk): AudioFrame | undefined {
    this.chunks.push(chunk);
    return this.chunks.length === this.chunksPerFrame ? this.take() : undefined;
  }

  /** What is gathered, as a shorter frame (the end of a stream), or nothing. */
  flush(): AudioFrame | undefined {
    return this.chunks.length === 0 ? undefined : this.take();
  }

  /** `lostMs` of input went missing: skip the frames it would have made. */
  skip(lostMs: number, frameMs: number): void {
    this.sequence = (this.sequence + Math.max(1, Math.round(lostMs / frameMs))) % TWO_POW_32;
  }

  private take(): AudioFrame {
    const first = this.chunks[0] as TimedChunk;
    const samples = new Int16Array(this.chunks.reduce((sum, chunk) => sum + chunk.samples.length, 0));
    let at = 0;
    for (const chunk of this.chunks) {
      samples.set(chunk.samples, at);
      at += chunk.samples.length;
    }
    this.chunks = [];
    const frame: AudioFrame = {
      sampleRateHz: this.rateHz,
      channels: 1,
      sampleFormat: 's16le',
      sequence: this.sequence,
      // The resampler's delay places the first output samples before the first input's stamp:
      // for a microphone stamped near 0 that is before the clock began, which no frame can say.
      captureTimeUs: Math.max(0, Math.round(first.timeUs)),
      pcm: int16Bytes(samples),
    };
    this.sequence = (this.sequence + 1) % TWO_POW_32;
    return frame;
  }
}
