import { createRequire } from 'node:module';
import {
  type DspBackend,
  ECHO_SUPPRESSION_LEVELS,
  NOISE_LEVELS,
  type ResamplerOptions,
  type StreamResampler,
  VAD_LIKELIHOODS,
  type VoiceEngineName,
  type VoiceProcessor,
  type VoiceProcessorOptions,
  type VoiceStats,
} from './types.js';
import { validateChunk, validateDelay, validatePcm, validateResamplerOptions, validateVoiceOptions } from './validate.js';

interface NativeResampler {
  process(pcm: Uint8Array): Buffer;
  reset(): void;
}
interface NativeVoiceProcessor {
  reverse(chunk: Int16Array): void;
  capture(chunk: Int16Array, delayMs: number): boolean;
  cancel(chunk: Int16Array, delayMs: number): void;
  finish(chunk: Int16Array): boolean;
  stats(): VoiceStats & { echoPresent: boolean };
  reset(): void;
}
interface NativeAddon {
  Resampler: new (channels: number, inRateHz: number, outRateHz: number, quality: number) => NativeResampler;
  VoiceProcessor: new (engine: string, options: Record<string, number | boolean>) => NativeVoiceProcessor;
  engines: VoiceEngineName[];
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

/**
 * speexdsp's streaming resampler (a windowed-sinc polyphase filter). Equal rates need no
 * filter: process() passes the samples through untouched.
 */
export class Resampler implements StreamResampler {
  readonly channels: number;
  readonly inRateHz: number;
  readonly outRateHz: number;
  private readonly native: NativeResampler | undefined;

  constructor(options: ResamplerOptions) {
    const { channels, inRateHz, outRateHz, quality } = validateResamplerOptions(options);
    this.channels = channels;
    this.inRateHz = inRateHz;
    this.outRateHz = outRateHz;
    this.native = inRateHz === outRateHz ? undefined : new (loadAddon().Resampler)(channels, inRateHz, outRateHz, quality);
  }

  process(pcm: Uint8Array): Buffer {
    validatePcm(pcm, this.channels);
    if (this.native === undefined) return Buffer.from(pcm.buffer, pcm.byteOffset, pcm.length);
    return this.native.process(pcm);
  }

  reset(): void {
    this.native?.reset();
  }
}

class NativeVoiceProcessorWrapper implements VoiceProcessor {
  readonly engine: VoiceEngineName;
  readonly sampleRateHz: number;
  readonly chunkSamples: number;
  private readonly native: NativeVoiceProcessor;

  constructor(options: VoiceProcessorOptions) {
    this.engine = options.engine;
    this.sampleRateHz = options.sampleRateHz;
    this.chunkSamples = options.sampleRateHz / 100;
    this.native = new (loadAddon().VoiceProcessor)(options.engine, {
      sampleRateHz: options.sampleRateHz,
      echoCancellation: options.echoCancellation,
      echoSuppression: ECHO_SUPPRESSION_LEVELS.indexOf(options.echoSuppression),
      echoTailMs: options.echoTailMs,
      noiseSuppression: options.noiseSuppression,
      noiseLevel: NOISE_LEVELS.indexOf(options.noiseLevel),
      gainControl: options.gainControl,
      gainTargetDbfs: options.gainTargetDbfs,
      gainMaxDb: options.gainMaxDb,
      vad: options.vad,
      vadLikelihood: VAD_LIKELIHOODS.indexOf(options.vadLikelihood),
      highPass: false,
    });
  }

  reverse(chunk: Int16Array): void {
    validateChunk(chunk, this.chunkSamples);
    this.native.reverse(chunk);
  }

  capture(chunk: Int16Array, delayMs: number): boolean {
    validateChunk(chunk, this.chunkSamples);
    validateDelay(delayMs);
    return this.native.capture(chunk, delayMs);
  }

  cancel(chunk: Int16Array, delayMs: number): void {
    validateChunk(chunk, this.chunkSamples);
    validateDelay(delayMs);
    this.native.cancel(chunk, delayMs);
  }

  finish(chunk: Int16Array): boolean {
    validateChunk(chunk, this.chunkSamples);
    return this.native.finish(chunk);
  }

  stats(): VoiceStats {
    const { erleDb, erlDb, delayMs, speechProbability } = this.native.stats();
    return { erleDb, erlDb, delayMs, speechProbability };
  }

  reset(): void {
    this.native.reset();
  }
}

/** The addon: speexdsp's resampler, and voice processing by webrtc-audio-processing (where built) and speexdsp. */
export class NativeDspBackend implements DspBackend {
  get engines(): readonly VoiceEngineName[] {
    return loadAddon().engines;
  }

  createResampler(options: ResamplerOptions): StreamResampler {
    return new Resampler(options);
  }

  createVoiceProcessor(options: VoiceProcessorOptions): VoiceProcessor {
    validateVoiceOptions(options, this.engines);
    return new NativeVoiceProcessorWrapper(options);
  }
}
