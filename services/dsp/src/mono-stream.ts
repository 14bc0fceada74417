import type { DspBackend, StreamResampler } from '@voxbus/dsp';
import type { AudioFrame } from '@voxbus/shared';
import type { HighPass } from './high-pass.js';
import { type Downmix, int16Bytes, int16Samples, toInt16, toMonoFloat } from './pcm.js';

/** Mono s16 at the stream's output rate, with the capture-clock time of its first sample. */
export interface TimedSamples {
  readonly samples: Int16Array;
  readonly firstSampleUs: number;
}

/**
 * One continuous stream of frames (the microphone, or what the speaker played) made mono,
 * optionally high-passed, and resampled to `outRateHz`, with every output timed on the
 * capture clock. The time of output sample k is taken from the frame its input came from
 * (k × in / out samples into the stream), so the device clock's drift never accumulates.
 * The caller resets it at any discontinuity.
 */
export class MonoStream {
  private resampler: StreamResampler | undefined;
  private inputSamples = 0;
  private outputSamples = 0;
  /** Silence put before the stream's first output (see `padLookahead`). */
  private padSamples = 0;

  /**
   * `padLookahead`: the stream's start is padded with as much silence as the resampler held back
   * of the first frame (its filter looks ahead), so each input frame's output ends where the frame
   * does. Without it the last chunk of every frame would wait for the next frame: a whole frame
   * (20 ms) later to the voice processor, the VAD and the model.
   */
  constructor(
    private readonly backend: DspBackend,
    readonly outRateHz: number,
    private readonly quality: number,
    private readonly downmix: Downmix,
    private readonly padLookahead = false,
  ) {}

  /** The input rate being resampled from (undefined before the first frame). */
  get inRateHz(): number | undefined {
    return this.resampler?.inRateHz;
  }

  /**
   * `highPass` filters the mono signal before it is resampled (it keeps its own state);
   * `observe` sees the mono signal before that (the input meter).
   */
  push(frame: AudioFrame, highPass?: HighPass, observe?: (mono: Float32Array) => void): TimedSamples {
    if (this.resampler?.inRateHz !== frame.sampleRateHz) this.begin(frame.sampleRateHz);
    const resampler = this.resampler as StreamResampler;
    const mono = toMonoFloat(frame, this.downmix);
    observe?.(mono);
    highPass?.process(mono);
    let out = int16Samples(resampler.process(int16Bytes(toInt16(mono))));
    if (this.outputSamples === 0 && this.padLookahead && out.length > 0) out = this.padded(out, (mono.length * this.outRateHz) / frame.sampleRateHz);
    const firstInput = this.inputSamples;
    const firstOutput = this.outputSamples - this.padSamples;
    this.inputSamples += mono.length;
    this.outputSamples += out.length;
    // Where output sample `firstOutput` sits relative to this frame's first input sample (the
    // padding before the stream's first sample sits before it).
    const offsetInputSamples = (firstOutput * frame.sampleRateHz) / this.outRateHz - firstInput;
    return { samples: out, firstSampleUs: frame.captureTimeUs + (offsetInputSamples * 1e6) / frame.sampleRateHz };
  }

  /** A new stream starts with the next frame: filter states and counts start over. */
  reset(): void {
    this.resampler?.reset();
    this.inputSamples = 0;
    this.outputSamples = 0;
    this.padSamples = 0;
  }

  private begin(inRateHz: number): void {
    this.resampler = this.backend.createResampler({ channels: 1, inRateHz, outRateHz: this.outRateHz, quality: this.quality });
    this.inputSamples = 0;
    this.outputSamples = 0;
    this.padSamples = 0;
  }

  /** The stream's first output with silence before it, as much as the resampler held back of the `expected`. */
  private padded(out: Int16Array, expected: number): Int16Array {
    this.padSamples = Math.max(0, Math.round(expected) - out.length);
    if (this.padSamples === 0) return out;
    const withPad = new Int16Array(this.padSamples + out.length);
    withPad.set(out, this.padSamples);
    return withPad;
  }
}
