/**
 * The DSP interfaces services depend on. The real implementation is the addon over speexdsp
 * and webrtc-audio-processing (NativeDspBackend); FakeDspBackend does the same jobs in plain
 * TypeScript. One contract suite runs against both.
 */

/** `webrtc`: webrtc-audio-processing 0.3's module (AEC, NS, AGC, GMM VAD); `speex`: speexdsp's; `fake`: the test double's. */
export type VoiceEngineName = 'webrtc' | 'speex' | 'fake';

export const ECHO_SUPPRESSION_LEVELS = ['low', 'moderate', 'high'] as const;
export const NOISE_LEVELS = ['low', 'moderate', 'high', 'very-high'] as const;
export const VAD_LIKELIHOODS = ['very-low', 'low', 'moderate', 'high'] as const;

export interface ResamplerOptions {
  readonly channels: number;
  readonly inRateHz: number;
  readonly outRateHz: number;
  /** speexdsp quality 0–10: 3 is its VoIP default, 5 its desktop default. */
  readonly quality?: number;
}

/**
 * A streaming resampler for interleaved s16le PCM. Feed it consecutive frames of one stream;
 * it keeps its filter state between calls, so the output is continuous. Output lengths vary
 * by a sample or so from call to call; over a stream, in and out follow the rate ratio, and
 * output sample k lines up in time with input sample k × inRateHz / outRateHz.
 */
export interface StreamResampler {
  readonly channels: number;
  readonly inRateHz: number;
  readonly outRateHz: number;
  process(pcm: Uint8Array): Buffer;
  /** Forgets the filter state: the next process() starts a new stream (after a gap). */
  reset(): void;
}

export interface VoiceProcessorOptions {
  readonly engine: VoiceEngineName;
  /** 8–48 kHz, a multiple of 100 (chunks are 10 ms). */
  readonly sampleRateHz: number;
  readonly echoCancellation: boolean;
  readonly echoSuppression: (typeof ECHO_SUPPRESSION_LEVELS)[number];
  /** The longest echo the canceller models (speex and fake; webrtc's extended filter is fixed). */
  readonly echoTailMs: number;
  readonly noiseSuppression: boolean;
  readonly noiseLevel: (typeof NOISE_LEVELS)[number];
  readonly gainControl: boolean;
  /** The level the gain aims for, in dB below full scale (3 means -3 dBFS peaks). */
  readonly gainTargetDbfs: number;
  /** The most gain it may apply, dB. */
  readonly gainMaxDb: number;
  readonly vad: boolean;
  /** How sure the detector must be before it says voice (webrtc); higher means fewer false alarms. */
  readonly vadLikelihood: (typeof VAD_LIKELIHOODS)[number];
}

export interface VoiceStats {
  /** Echo return loss enhancement at the canceller (dB), null until the reference has played a while. */
  readonly erleDb: number | null;
  /** Echo return loss: reference power over the echo the microphone picked up (dB). */
  readonly erlDb: number | null;
  /** The extra echo delay the canceller found (webrtc), ms. */
  readonly delayMs: number | null;
  readonly speechProbability: number | null;
}

/**
 * Voice processing on 10 ms chunks of mono s16 at one rate: echo cancellation against the
 * reference given by reverse(), noise suppression, gain, and a voice decision per chunk.
 */
export interface VoiceProcessor {
  readonly engine: VoiceEngineName;
  readonly sampleRateHz: number;
  /** Samples in one chunk (10 ms). */
  readonly chunkSamples: number;
  /** What the speaker played at the time of the capture chunk that follows (silence: zeros). */
  reverse(chunk: Int16Array): void;
  /**
   * The first half of a microphone chunk, in place: echo cancellation against the reference
   * given before it (and noise suppression, where the engine does it there: webrtc). The
   * caller may judge and gate what is left of the echo before finish().
   */
  cancel(chunk: Int16Array, delayMs: number): void;
  /** The second half, in place: gain and the rest of the clean-up; true when the chunk holds voice. */
  finish(chunk: Int16Array): boolean;
  /** cancel() then finish(). */
  capture(chunk: Int16Array, delayMs: number): boolean;
  stats(): VoiceStats;
  /** Forgets what it learnt (echo path, noise floor, gain): a new stream. */
  reset(): void;
}

export interface DspBackend {
  /** The voice engines this backend offers, best first. */
  readonly engines: readonly VoiceEngineName[];
  createResampler(options: ResamplerOptions): StreamResampler;
  createVoiceProcessor(options: VoiceProcessorOptions): VoiceProcessor;
}
