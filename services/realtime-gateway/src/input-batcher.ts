import { MODEL_RATE_HZ } from './audio-out.js';

/**
 * Model-ready microphone audio gathered into `input_audio_buffer.append` events of `batchMs`
 * each (fewer, larger events: 20 ms ones cost the service and the socket five times as many).
 */
export class InputBatcher {
  private chunks: Buffer[] = [];
  private bytes = 0;
  private readonly batchBytes: number;

  constructor(batchMs: number) {
    this.batchBytes = (batchMs * MODEL_RATE_HZ * 2) / 1000;
  }

  /** Adds PCM; returns the batch's audio (base64) once a whole batch is gathered. */
  push(pcm: Buffer): string | undefined {
    this.chunks.push(pcm);
    this.bytes += pcm.length;
    return this.bytes >= this.batchBytes ? this.flush() : undefined;
  }

  /** What is gathered so far (base64), or undefined when nothing is. */
  flush(): string | undefined {
    if (this.bytes === 0) return undefined;
    const audio = Buffer.concat(this.chunks).toString('base64');
    this.clear();
    return audio;
  }

  clear(): void {
    this.chunks = [];
    this.bytes = 0;
  }
}
