import type { AudioFrame } from '@voxbus/shared';

/** The model's audio: PCM16 mono 24 kHz. */
export const MODEL_RATE_HZ = 24_000;
const BYTES_PER_MS = (MODEL_RATE_HZ / 1000) * 2;

/**
 * Re-cuts an item's audio deltas (whatever size the service sends) into fixed frames of
 * `frameMs` tagged with response id, item id and sample offset. The last frame of an item may
 * be shorter: padding it would add audio the model never produced.
 */
export class ItemAudio {
  private pending: Buffer = Buffer.alloc(0);
  private offsetSamples = 0;
  /** Bytes received for the item: what `audio_end_ms` is clamped to. */
  receivedBytes = 0;

  constructor(
    readonly responseId: string,
    readonly itemId: string,
    private readonly frameMs: number,
  ) {}

  get receivedMs(): number {
    return this.receivedBytes / BYTES_PER_MS;
  }

  /** Adds a delta; returns the whole frames now ready. */
  push(pcm: Buffer, next: (sampleOffset: number, pcm: Uint8Array) => AudioFrame): AudioFrame[] {
    this.receivedBytes += pcm.length;
    this.pending = this.pending.length ? Buffer.concat([this.pending, pcm]) : pcm;
    const frameBytes = this.frameMs * BYTES_PER_MS;
    const frames: AudioFrame[] = [];
    while (this.pending.length >= frameBytes) {
      frames.push(this.emit(this.pending.subarray(0, frameBytes), next));
      this.pending = this.pending.subarray(frameBytes);
    }
    return frames;
  }

  /** The item's audio ended: the rest, as one shorter frame. */
  flush(next: (sampleOffset: number, pcm: Uint8Array) => AudioFrame): AudioFrame[] {
    if (this.pending.length < 2) return [];
    const frame = this.emit(this.pending.subarray(0, this.pending.length - (this.pending.length % 2)), next);
    this.pending = Buffer.alloc(0);
    return [frame];
  }

  private emit(pcm: Buffer, next: (sampleOffset: number, pcm: Uint8Array) => AudioFrame): AudioFrame {
    const frame = next(this.offsetSamples, Uint8Array.from(pcm));
    this.offsetSamples += pcm.length / 2;
    return frame;
  }
}
