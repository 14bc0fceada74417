import { createRequire } from 'node:module';

interface NativeResampler {
  process(pcm: Uint8Array): Buffer;
  reset(): void;
  latencyFrames(): number;
}
interface NativeAddon {
  Resampler: new (channels: number, inRateHz: number, outRateHz: number, quality: number) => NativeResampler;
}

let addon: NativeAddon | undefined;

function loadAddon(): NativeAddon {
  if (addon === undefined) {
    const require = createRequire(import.meta.url);
    try {
      addon = require('../build/Release/voxbus_dsp.node') as NativeAddon;
    } catch (error) {
      throw new Error(`the DSP addon is not built (${(error as Error).message}); run deploy/setup.sh, which installs libspeexdsp-dev and builds it`);
    }
  }
  return addon;
}

export interface ResamplerOptions {
  readonly channels: number;
  readonly inRateHz: number;
  readonly outRateHz: number;
  /** speexdsp quality 0–10: 3 is its VoIP default, 5 its desktop default. */
  readonly quality?: number;
}

/**
 * A streaming resampler for interleaved s16le PCM (speexdsp). Feed it consecutive frames of
 * one stream; it keeps its filter state between calls, so the output is continuous. Output
 * lengths vary by a frame or so from call to call, and total in/out matches the rate ratio.
 */
export class Resampler {
  readonly channels: number;
  readonly inRateHz: number;
  readonly outRateHz: number;
  private readonly native: NativeResampler | undefined;

  constructor(options: ResamplerOptions) {
    const { channels, inRateHz, outRateHz, quality = 5 } = options;
    for (const [name, value, min, max] of [
      ['channels', channels, 1, 32],
      ['inRateHz', inRateHz, 1000, 384_000],
      ['outRateHz', outRateHz, 1000, 384_000],
      ['quality', quality, 0, 10],
    ] as const) {
      if (!Number.isInteger(value) || value < min || value > max) throw new RangeError(`${name} must be an integer in [${min}, ${max}], got ${value}`);
    }
    this.channels = channels;
    this.inRateHz = inRateHz;
    this.outRateHz = outRateHz;
    // Equal rates need no filter: process() passes the samples through untouched.
    this.native = inRateHz === outRateHz ? undefined : new (loadAddon().Resampler)(channels, inRateHz, outRateHz, quality);
  }

  process(pcm: Uint8Array): Buffer {
    if (!(pcm instanceof Uint8Array)) throw new TypeError('pcm must be a Buffer or Uint8Array');
    if (pcm.length % (2 * this.channels) !== 0) {
      throw new RangeError(`pcm must hold whole frames of ${this.channels} s16 samples (${pcm.length} bytes)`);
    }
    if (this.native === undefined) return Buffer.from(pcm.buffer, pcm.byteOffset, pcm.length);
    return this.native.process(pcm);
  }

  /** Forgets the filter state: the next process() starts a new stream (after a flush). */
  reset(): void {
    this.native?.reset();
  }

  /** The filter's delay, in output frames. */
  latencyFrames(): number {
    return this.native?.latencyFrames() ?? 0;
  }
}
