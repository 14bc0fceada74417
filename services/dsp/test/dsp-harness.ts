import { type DspBackend, FakeDspBackend, NativeDspBackend } from '@voxbus/dsp';
import { type AudioFrame, createLogger, frameDurationMs, MetricsRegistry, type Payload, type SampleFormat } from '@voxbus/shared';
import { FakeClock, samples } from '@voxbus/shared/testing';
import { DSP_DEFAULTS, type DspConfig } from '../src/config.js';
import { DspChain, type DspStatePayload } from '../src/dsp-chain.js';

/** Every stage off: tests switch on what they check. */
export const BARE: DspConfig = {
  ...DSP_DEFAULTS,
  dcRemoval: false,
  echoCancellation: false,
  noiseSuppression: false,
  gainControl: false,
  vad: false,
};

export const START_US = 5_000_000;

/** A DspChain with everything it publishes recorded, on a fake clock. */
export class Harness {
  /** Its monotonic clock is the one the frames' timestamps are on, as on a real host. */
  readonly clock = new FakeClock(0, 0);
  readonly metrics = new MetricsRegistry();
  readonly frames: AudioFrame[] = [];
  /** Speech: the VAD's speech_started and speech_stopped. */
  readonly vad: Payload<'dsp.event.vad'>[] = [];
  /** The VAD's voice_onset events, apart: a voice begun is not speech. */
  readonly onsets: Payload<'dsp.event.vad'>[] = [];
  readonly levels: Payload<'dsp.event.levels'>[] = [];
  readonly states: DspStatePayload[] = [];
  readonly chain: DspChain;

  constructor(config: Partial<DspConfig> = {}, backend: DspBackend = new NativeDspBackend()) {
    this.chain = new DspChain(
      { ...BARE, ...config },
      {
        backend,
        clock: this.clock,
        log: createLogger('dsp-test', 'silent'),
        metrics: this.metrics,
        publishFrame: (frame) => this.frames.push(frame),
        publishVad: (event) => (event.kind === 'voice_onset' ? this.onsets : this.vad).push(event),
        publishLevels: (levels) => this.levels.push(levels),
        publishState: (state) => this.states.push(state),
      },
    );
    this.chain.start();
  }

  static fake(config: Partial<DspConfig> = {}): Harness {
    return new Harness(config, new FakeDspBackend());
  }

  /**
   * Feeds microphone frames, keeping the fake clock in step with their timestamps; `played`
   * reaches `referenceLeadMs` past the end of each microphone frame as it arrives.
   */
  mic(frames: AudioFrame[], played: AudioFrame[] = [], referenceLeadMs = 20): void {
    // The speaker's frames for a moment arrive before the microphone's (they are stamped
    // ahead, with when they will be heard), so each is given before the mic frame it overlaps.
    let next = 0;
    for (const frame of frames) {
      while (next < played.length && (played[next] as AudioFrame).captureTimeUs + frameDurationMs(played[next] as AudioFrame) * 1000 <= frame.captureTimeUs + frameDurationMs(frame) * 1000 + referenceLeadMs * 1000) this.chain.played(played[next++] as AudioFrame);
      // A frame arrives once its last sample has been captured.
      const arrivalUs = frame.captureTimeUs + frameDurationMs(frame) * 1000;
      this.clock.advance(Math.max(0, (arrivalUs - this.clock.monotonicUs()) / 1000));
      this.chain.microphone(frame);
    }
  }

  /** All output as one mono signal. */
  output(from = 0): Int16Array {
    return samples(Buffer.concat(this.frames.slice(from).map((f) => Buffer.from(f.pcm))));
  }

  counter(name: string): number {
    return this.metrics.snapshot()[name] ?? 0;
  }

  get state(): DspStatePayload {
    return this.states[this.states.length - 1] as DspStatePayload;
  }
}

export interface FramingOptions {
  readonly sampleRateHz: number;
  readonly channels?: number;
  readonly frameMs?: number;
  readonly startUs?: number;
  readonly firstSequence?: number;
  readonly sampleFormat?: SampleFormat;
}

/** Interleaved s16 samples cut into frames as audio-capture (or playback) publishes them. */
export function toFrames(interleaved: Int16Array, options: FramingOptions): AudioFrame[] {
  const { sampleRateHz, channels = 1, frameMs = 20, startUs = START_US, firstSequence = 0, sampleFormat = 's16le' } = options;
  const perFrame = (sampleRateHz * frameMs) / 1000;
  const frames: AudioFrame[] = [];
  for (let at = 0, index = 0; at + perFrame * channels <= interleaved.length; at += perFrame * channels, index++) {
    const chunk = interleaved.subarray(at, at + perFrame * channels);
    frames.push({
      sampleRateHz,
      channels,
      sampleFormat,
      sequence: firstSequence + index,
      captureTimeUs: startUs + index * frameMs * 1000,
      pcm: encode(chunk, sampleFormat),
    });
  }
  return frames;
}

function encode(chunk: Int16Array, format: SampleFormat): Buffer {
  if (format === 's16le') return Buffer.from(chunk.buffer.slice(chunk.byteOffset, chunk.byteOffset + chunk.byteLength));
  const out = Buffer.alloc(chunk.length * 4);
  for (const [i, value] of chunk.entries()) {
    if (format === 's32le') out.writeInt32LE(value * 65536, i * 4);
    else out.writeFloatLE(value / 32768, i * 4);
  }
  return out;
}

/** Mono samples as interleaved stereo: `left` and `right` channels. */
export function stereo(left: Int16Array, right: Int16Array): Int16Array {
  const out = new Int16Array(left.length * 2);
  for (let i = 0; i < left.length; i++) {
    out[2 * i] = left[i] as number;
    out[2 * i + 1] = right[i] ?? 0;
  }
  return out;
}

/** A constant (DC) level, fraction of full scale. */
export function constant(length: number, level: number): Int16Array {
  return new Int16Array(length).fill(Math.round(level * 32767));
}

export function add(a: Int16Array, b: Int16Array): Int16Array {
  return Int16Array.from(a, (value, i) => Math.max(-32768, Math.min(32767, value + (b[i] ?? 0))));
}

export function concat(...parts: Int16Array[]): Int16Array {
  const out = new Int16Array(parts.reduce((sum, part) => sum + part.length, 0));
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}
