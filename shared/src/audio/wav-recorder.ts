import wavefile from 'wavefile';
import type { AudioFrame } from './frame-codec.js';

const BIT_DEPTH = { s16le: '16', s32le: '32', f32le: '32f' } as const;

export interface Recorded {
  readonly frames: number;
  readonly bytes: number;
  readonly missing: number;
  readonly format: { sampleRateHz: number; channels: number; sampleFormat: AudioFrame['sampleFormat'] } | undefined;
  readonly formatChanges: number;
}

/**
 * Collects one stream's frames into a WAV, for the command line's `record` and the recorder
 * service: the format of the first frame (a frame in another format is left out and counted,
 * since one WAV has one format), frames in arrival order, a sequence gap counted as missing
 * frames, at most `maxBytes` of audio.
 */
export class WavRecorder {
  private readonly chunks: Buffer[] = [];
  private format: Recorded['format'];
  private lastSequence: number | undefined;
  private frames = 0;
  private missing = 0;
  private formatChanges = 0;
  private bytes = 0;

  constructor(private readonly maxBytes: number) {}

  /** Adds a frame; false once the size bound is reached (the recording is complete). */
  add(frame: AudioFrame): boolean {
    const format = { sampleRateHz: frame.sampleRateHz, channels: frame.channels, sampleFormat: frame.sampleFormat };
    this.format ??= format;
    if (format.sampleRateHz !== this.format.sampleRateHz || format.channels !== this.format.channels || format.sampleFormat !== this.format.sampleFormat) {
      this.formatChanges += 1;
      return true;
    }
    if (this.lastSequence !== undefined) this.missing += (frame.sequence - this.lastSequence - 1 + 2 ** 32) % 2 ** 32;
    this.lastSequence = frame.sequence;
    if (this.bytes + frame.pcm.length > this.maxBytes) return false;
    this.chunks.push(Buffer.from(frame.pcm.buffer, frame.pcm.byteOffset, frame.pcm.byteLength));
    this.bytes += frame.pcm.length;
    this.frames += 1;
    return true;
  }

  /** How long the audio kept lasts. */
  get durationMs(): number {
    if (this.format === undefined) return 0;
    const bytesPerFrame = this.format.channels * (this.format.sampleFormat === 's16le' ? 2 : 4);
    return Math.round((this.bytes / bytesPerFrame / this.format.sampleRateHz) * 1000);
  }

  get recorded(): Recorded {
    return { frames: this.frames, bytes: this.bytes, missing: this.missing, format: this.format, formatChanges: this.formatChanges };
  }

  /** The WAV file's bytes (undefined when nothing was recorded). */
  wav(): Uint8Array | undefined {
    if (this.format === undefined) return undefined;
    const pcm = Buffer.concat(this.chunks);
    const samples =
      this.format.sampleFormat === 's16le'
        ? new Int16Array(pcm.buffer, pcm.byteOffset, pcm.byteLength / 2)
        : this.format.sampleFormat === 's32le'
          ? new Int32Array(pcm.buffer, pcm.byteOffset, pcm.byteLength / 4)
          : new Float32Array(pcm.buffer, pcm.byteOffset, pcm.byteLength / 4);
    const wav = new wavefile.WaveFile();
    wav.fromScratch(this.format.channels, this.format.sampleRateHz, BIT_DEPTH[this.format.sampleFormat], samples);
    return wav.toBuffer();
  }
}

