import { EchoMeter, power } from './echo-meter.js';
import {
  type DspBackend,
  NOISE_LEVELS,
  type ResamplerOptions,
  type StreamResampler,
  type VoiceEngineName,
  type VoiceProcessor,
  type VoiceProcessorOptions,
  type VoiceStats,
} from './types.js';
import { validateChunk, validateDelay, validatePcm, validateResamplerOptions, validateVoiceOptions } from './validate.js';

/**
 * The DSP in plain TypeScript, for tests that should not load the addon: the same interface
 * and argument checks, simpler algorithms (linear interpolation, an NLMS echo canceller, a
 * noise gate, a slow gain, an energy VAD). It passes the same contract suite as the addon;
 * quality figures come from the addon only.
 */
export class FakeDspBackend implements DspBackend {
  readonly engines: readonly VoiceEngineName[] = ['fake'];

  createResampler(options: ResamplerOptions): StreamResampler {
    return new LinearResampler(validateResamplerOptions(options));
  }

  createVoiceProcessor(options: VoiceProcessorOptions): VoiceProcessor {
    validateVoiceOptions(options, this.engines);
    return new FakeVoiceProcessor(options);
  }
}

/** Streaming linear interpolation; output k sits at input position k × in / out. */
class LinearResampler implements StreamResampler {
  readonly channels: number;
  readonly inRateHz: number;
  readonly outRateHz: number;
  private readonly step: number;
  /** The last input frame of the previous call (position -1 of the next). */
  private previous: Float64Array;
  /** Position of the next output in the coming input, in input frames (may be in [-1, 0)). */
  private position = 0;

  constructor(options: Required<ResamplerOptions>) {
    this.channels = options.channels;
    this.inRateHz = options.inRateHz;
    this.outRateHz = options.outRateHz;
    this.step = options.inRateHz / options.outRateHz;
    this.previous = new Float64Array(options.channels);
  }

  process(pcm: Uint8Array): Buffer {
    validatePcm(pcm, this.channels);
    if (this.inRateHz === this.outRateHz) return Buffer.from(pcm.buffer, pcm.byteOffset, pcm.length);
    const input = Buffer.from(pcm.buffer, pcm.byteOffset, pcm.length);
    const frames = input.length / 2 / this.channels;
    const at = (frame: number, channel: number) =>
      frame < 0 ? (this.previous[channel] as number) : input.readInt16LE((frame * this.channels + channel) * 2);
    const out: number[] = [];
    while (this.position <= frames - 1) {
      const base = Math.floor(this.position);
      const fraction = this.position - base;
      for (let channel = 0; channel < this.channels; channel++) {
        const a = at(base, channel);
        const b = at(base + 1 > frames - 1 ? base : base + 1, channel);
        out.push(Math.round(a + (b - a) * fraction));
      }
      this.position += this.step;
    }
    if (frames > 0) {
      for (let channel = 0; channel < this.channels; channel++) this.previous[channel] = at(frames - 1, channel);
      this.position -= frames;
    }
    const buffer = Buffer.alloc(out.length * 2);
    for (const [i, value] of out.entries()) buffer.writeInt16LE(value, i * 2);
    return buffer;
  }

  reset(): void {
    this.previous.fill(0);
    this.position = 0;
  }
}

const NLMS_STEP = 0.5;
/** Regularisation per tap: a reference quieter than about -50 dBFS barely moves the filter. */
const NLMS_FLOOR_PER_TAP = 1e-5;

class FakeVoiceProcessor implements VoiceProcessor {
  readonly engine: VoiceEngineName = 'fake';
  readonly sampleRateHz: number;
  readonly chunkSamples: number;
  private readonly taps: number;
  private weights: Float64Array;
  /** Reference history, newest last, `taps` long plus one chunk. */
  private history: Float64Array;
  private reference: Int16Array;
  private meter = new EchoMeter();
  /** Null until the first chunk sets it. */
  private noiseFloor: number | null = null;
  private gain = 1;
  private lastProbability: number | null = null;

  constructor(private readonly options: VoiceProcessorOptions) {
    this.sampleRateHz = options.sampleRateHz;
    this.chunkSamples = options.sampleRateHz / 100;
    this.taps = Math.round((options.echoTailMs * options.sampleRateHz) / 1000);
    this.weights = new Float64Array(this.taps);
    this.history = new Float64Array(this.taps + this.chunkSamples);
    this.reference = new Int16Array(this.chunkSamples);
  }

  reverse(chunk: Int16Array): void {
    validateChunk(chunk, this.chunkSamples);
    this.reference.set(chunk);
  }

  capture(chunk: Int16Array, delayMs: number): boolean {
    this.cancel(chunk, delayMs);
    return this.finish(chunk);
  }

  cancel(chunk: Int16Array, delayMs: number): void {
    validateChunk(chunk, this.chunkSamples);
    validateDelay(delayMs);
    if (this.options.echoCancellation) this.cancelEcho(chunk);
  }

  finish(chunk: Int16Array): boolean {
    validateChunk(chunk, this.chunkSamples);
    const level = power(chunk);
    // A noise floor that falls at once and rises slowly (3 dB a second): minimum tracking.
    const floor = Math.max(1e-9, Math.min(level, (this.noiseFloor ?? level) * 1.0069));
    this.noiseFloor = floor;
    const voice = level > floor * 16 && level > 3e-6; // 12 dB over the floor, above -55 dBFS
    this.lastProbability = voice ? 1 : 0;
    if (this.options.noiseSuppression && !voice) scale(chunk, 10 ** (-(6 + 6 * NOISE_LEVELS.indexOf(this.options.noiseLevel)) / 20));
    if (this.options.gainControl) this.applyGain(chunk, voice, level);
    return this.options.vad && voice;
  }

  stats(): VoiceStats {
    return { erleDb: this.meter.erleDb(), erlDb: this.meter.erlDb(), delayMs: null, speechProbability: this.lastProbability };
  }

  reset(): void {
    this.weights = new Float64Array(this.taps);
    this.history.fill(0);
    this.reference.fill(0);
    this.meter = new EchoMeter();
    this.noiseFloor = null;
    this.gain = 1;
    this.lastProbability = null;
  }

  private cancelEcho(chunk: Int16Array): void {
    const { taps, history, weights } = this;
    const input = Int16Array.from(chunk);
    history.copyWithin(0, this.chunkSamples);
    for (let i = 0; i < this.chunkSamples; i++) history[taps + i] = (this.reference[i] as number) / 32768;
    for (let n = 0; n < this.chunkSamples; n++) {
      // x[k] = reference at time n - k: history index taps + n - k.
      const newest = taps + n;
      let estimate = 0;
      let energy = NLMS_FLOOR_PER_TAP * taps;
      for (let k = 0; k < taps; k++) {
        const x = history[newest - k] as number;
        estimate += (weights[k] as number) * x;
        energy += x * x;
      }
      const error = (chunk[n] as number) / 32768 - estimate;
      const step = (NLMS_STEP * error) / energy;
      for (let k = 0; k < taps; k++) weights[k] = (weights[k] as number) + step * (history[newest - k] as number);
      chunk[n] = clamp(Math.round(error * 32768));
    }
    this.meter.add(this.reference, input, chunk);
  }

  private applyGain(chunk: Int16Array, voice: boolean, level: number): void {
    // Speech peaks sit about 15 dB above its RMS: aim the RMS there below the target.
    if (voice) {
      const wanted = Math.min(10 ** (this.options.gainMaxDb / 20), 10 ** ((-this.options.gainTargetDbfs - 15) / 20) / Math.sqrt(level));
      this.gain += 0.05 * (wanted - this.gain);
    }
    scale(chunk, this.gain);
  }
}

function scale(chunk: Int16Array, factor: number): void {
  for (let i = 0; i < chunk.length; i++) chunk[i] = clamp(Math.round((chunk[i] as number) * factor));
}

function clamp(value: number): number {
  return value > 32767 ? 32767 : Math.max(value , -32768);
}
