import { ECHO_SUPPRESSION_LEVELS, NOISE_LEVELS, type ResamplerOptions, VAD_LIKELIHOODS, type VoiceProcessorOptions } from './types.js';

/**
 * Argument checks shared by the native backend and the fake, so both refuse the same things
 * with the same messages (the C++ checks again, tersely, before it touches memory).
 */
export function validateResamplerOptions(options: ResamplerOptions): Required<ResamplerOptions> {
  const { channels, inRateHz, outRateHz, quality = 5 } = options;
  integerIn('channels', channels, 1, 32);
  integerIn('inRateHz', inRateHz, 1000, 384_000);
  integerIn('outRateHz', outRateHz, 1000, 384_000);
  integerIn('quality', quality, 0, 10);
  return { channels, inRateHz, outRateHz, quality };
}

export function validatePcm(pcm: Uint8Array, channels: number): void {
  if (!(pcm instanceof Uint8Array)) throw new TypeError('pcm must be a Buffer or Uint8Array');
  if (pcm.length % (2 * channels) !== 0) throw new RangeError(`pcm must hold whole frames of ${channels} s16 samples (${pcm.length} bytes)`);
}

export function validateVoiceOptions(options: VoiceProcessorOptions, engines: readonly string[]): void {
  if (typeof options !== 'object' || options === null) throw new TypeError('voice processor options must be an object');
  if (!engines.includes(options.engine)) {
    throw new RangeError(`engine '${String(options.engine)}' is not available here (available: ${engines.join(', ')})`);
  }
  integerIn('sampleRateHz', options.sampleRateHz, 8000, 48_000);
  if (options.sampleRateHz % 100 !== 0) throw new RangeError(`sampleRateHz must be a multiple of 100 (10 ms chunks), got ${options.sampleRateHz}`);
  for (const name of ['echoCancellation', 'noiseSuppression', 'gainControl', 'vad'] as const) {
    if (typeof options[name] !== 'boolean') throw new TypeError(`${name} must be a boolean`);
  }
  oneOf('echoSuppression', options.echoSuppression, ECHO_SUPPRESSION_LEVELS);
  oneOf('noiseLevel', options.noiseLevel, NOISE_LEVELS);
  oneOf('vadLikelihood', options.vadLikelihood, VAD_LIKELIHOODS);
  integerIn('echoTailMs', options.echoTailMs, 10, 1000);
  integerIn('gainTargetDbfs', options.gainTargetDbfs, 0, 31);
  integerIn('gainMaxDb', options.gainMaxDb, 0, 90);
}

export function validateChunk(chunk: Int16Array, chunkSamples: number): void {
  if (!(chunk instanceof Int16Array)) throw new TypeError('chunk must be an Int16Array');
  if (chunk.length !== chunkSamples) throw new RangeError(`chunk must hold ${chunkSamples} samples (10 ms), got ${chunk.length}`);
}

export function validateDelay(delayMs: number): void {
  if (typeof delayMs !== 'number' || !Number.isInteger(delayMs) || delayMs < 0 || delayMs > 1000) {
    throw new RangeError(`delayMs must be an integer in [0, 1000], got ${String(delayMs)}`);
  }
}

function integerIn(name: string, value: number, min: number, max: number): void {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new RangeError(`${name} must be an integer in [${min}, ${max}], got ${String(value)}`);
  }
}

function oneOf(name: string, value: string, allowed: readonly string[]): void {
  if (!allowed.includes(value)) throw new RangeError(`${name} must be one of ${allowed.join(', ')}, got ${String(value)}`);
}
