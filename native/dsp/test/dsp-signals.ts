import type { StreamResampler, VoiceEngineName, VoiceProcessor, VoiceProcessorOptions } from '@voxbus/dsp';
import { samples } from '@voxbus/shared/testing';

/** Resamples `pcm` the way a service does: one 20 ms frame at a time. */
export function resampleInFrames(resampler: StreamResampler, pcm: Buffer): Int16Array {
  const out: Buffer[] = [];
  const frameBytes = (resampler.inRateHz / 50) * 2 * resampler.channels;
  for (let offset = 0; offset < pcm.length; offset += frameBytes) out.push(resampler.process(pcm.subarray(offset, offset + frameBytes)));
  return samples(Buffer.concat(out));
}

export interface Processed {
  readonly output: Int16Array;
  /** One decision per 10 ms chunk. */
  readonly voice: boolean[];
}

/**
 * Runs a microphone signal through `processor` chunk by chunk, with the reference (what the
 * speaker played at the same time, or silence) given before each chunk, as the dsp does.
 */
export function runProcessor(processor: VoiceProcessor, mic: Int16Array, reference?: Int16Array, delayMs = 0): Processed {
  const n = processor.chunkSamples;
  const output = new Int16Array(Math.floor(mic.length / n) * n);
  const voice: boolean[] = [];
  const silence = new Int16Array(n);
  for (let at = 0; at + n <= mic.length; at += n) {
    processor.reverse(reference !== undefined && at + n <= reference.length ? reference.slice(at, at + n) : silence);
    const chunk = mic.slice(at, at + n);
    voice.push(processor.capture(chunk, delayMs));
    output.set(chunk, at);
  }
  return { output, voice };
}

/** Power (mean square, fraction of full scale squared) over [from, to). */
export function meanPower(values: Int16Array, from = 0, until = values.length): number {
  const to = Math.min(until, values.length);
  let sum = 0;
  for (let i = from; i < to; i++) sum += ((values[i] as number) / 32768) ** 2;
  return sum / Math.max(1, to - from);
}

export const db = (ratio: number) => 10 * Math.log10(ratio);

/** Deterministic white noise with the given RMS (fraction of full scale). */
export function whiteNoise(length: number, rmsLevel: number, seed = 1): Int16Array {
  let state = seed;
  const uniform = () => {
    state = (state * 1_103_515_245 + 12_345) % 2 ** 31;
    return (state + 1) / (2 ** 31 + 1);
  };
  const out = new Int16Array(length);
  for (let i = 0; i < length; i++) {
    // Box–Muller: Gaussian samples.
    const gaussian = Math.sqrt(-2 * Math.log(uniform())) * Math.cos(2 * Math.PI * uniform());
    out[i] = Math.max(-32768, Math.min(32767, Math.round(gaussian * rmsLevel * 32768)));
  }
  return out;
}

/** The signal delayed by `delaySamples` and scaled: an echo path. */
export function delayed(values: Int16Array, delaySamples: number, gain: number): Int16Array {
  const out = new Int16Array(values.length);
  for (let i = delaySamples; i < values.length; i++) out[i] = Math.round((values[i - delaySamples] as number) * gain);
  return out;
}

export function mix(a: Int16Array, b: Int16Array): Int16Array {
  const out = new Int16Array(Math.max(a.length, b.length));
  for (let i = 0; i < out.length; i++) out[i] = Math.max(-32768, Math.min(32767, (a[i] ?? 0) + (b[i] ?? 0)));
  return out;
}

/** Per 10 ms chunk: does the clean signal have speech in it (RMS above -40 dBFS)? */
export function speechChunks(clean: Int16Array, chunkSamples: number, floorDbfs = -40): boolean[] {
  const out: boolean[] = [];
  for (let at = 0; at + chunkSamples <= clean.length; at += chunkSamples) out.push(db(meanPower(clean, at, at + chunkSamples)) > floorDbfs);
  return out;
}

/** Options with every stage off, at 24 kHz; tests switch on what they check. */
export function voiceOptions(engine: VoiceEngineName, overrides: Partial<VoiceProcessorOptions> = {}): VoiceProcessorOptions {
  return {
    engine,
    sampleRateHz: 24_000,
    echoCancellation: false,
    echoSuppression: 'moderate',
    echoTailMs: 100,
    noiseSuppression: false,
    noiseLevel: 'moderate',
    gainControl: false,
    gainTargetDbfs: 3,
    gainMaxDb: 30,
    vad: false,
    vadLikelihood: 'low',
    ...overrides,
  };
}
