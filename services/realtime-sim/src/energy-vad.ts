import type { TurnDetection } from './session-state.js';

/** Samples per ms of the only input format the sim takes (PCM16 mono, 24 kHz). */
export const SAMPLES_PER_MS = 24;
const FRAME_MS = 10;
const FRAME_SAMPLES = FRAME_MS * SAMPLES_PER_MS;
/** Speech must last this long before it counts: a click is not a turn. */
const MIN_SPEECH_MS = 30;
/** `threshold` 0..1 maps linearly onto -70..0 dBFS of frame RMS: the default 0.5 is -35 dBFS. */
const FLOOR_DBFS = -70;

export type VadEvent =
  | { readonly kind: 'started'; readonly audioStartMs: number }
  /** `speechMs`: from the first voiced frame to the last, without padding or the silence window. */
  | { readonly kind: 'stopped'; readonly audioEndMs: number; readonly speechMs: number };

/** Frame level on the 0..1 scale `threshold` uses. */
export function frameLevel(samples: Int16Array, from: number, to: number): number {
  let sum = 0;
  for (let i = from; i < to; i++) {
    const s = (samples[i] ?? 0) / 32768;
    sum += s * s;
  }
  const rms = Math.sqrt(sum / Math.max(1, to - from));
  const dbfs = rms > 0 ? 20 * Math.log10(rms) : FLOOR_DBFS;
  return Math.min(1, Math.max(0, (dbfs - FLOOR_DBFS) / -FLOOR_DBFS));
}

/**
 * Server VAD by energy, on the input-audio clock (ms of audio appended since the session
 * began, never reset): `speech_started.audio_start_ms` is where speech began minus
 * `prefix_padding_ms`; `speech_stopped.audio_end_ms` is where `silence_duration_ms` of silence
 * after it ran out.
 */
export class EnergyVad {
  private pending = new Int16Array(0);
  /** Input clock at the start of `pending`, in ms. */
  private clockMs = 0;
  private speaking = false;
  private speechRunMs = 0;
  private speechRunStartMs = 0;
  private silenceRunMs = 0;

  /** Feeds appended audio; returns what happened, in order. */
  push(samples: Int16Array, config: TurnDetection): VadEvent[] {
    const joined = new Int16Array(this.pending.length + samples.length);
    joined.set(this.pending);
    joined.set(samples, this.pending.length);
    const events: VadEvent[] = [];
    let at = 0;
    for (; at + FRAME_SAMPLES <= joined.length; at += FRAME_SAMPLES) {
      const frameStartMs = this.clockMs + at / SAMPLES_PER_MS;
      const voiced = frameLevel(joined, at, at + FRAME_SAMPLES) > config.threshold;
      if (!this.speaking) {
        if (voiced) {
          if (this.speechRunMs === 0) this.speechRunStartMs = frameStartMs;
          this.speechRunMs += FRAME_MS;
          if (this.speechRunMs >= MIN_SPEECH_MS) {
            this.speaking = true;
            this.silenceRunMs = 0;
            events.push({ kind: 'started', audioStartMs: Math.max(0, Math.round(this.speechRunStartMs - config.prefix_padding_ms)) });
          }
        } else {
          this.speechRunMs = 0;
        }
      } else if (voiced) {
        this.silenceRunMs = 0;
      } else {
        this.silenceRunMs += FRAME_MS;
        if (this.silenceRunMs >= config.silence_duration_ms) {
          this.speaking = false;
          this.speechRunMs = 0;
          const audioEndMs = Math.round(frameStartMs + FRAME_MS);
          events.push({ kind: 'stopped', audioEndMs, speechMs: Math.round(audioEndMs - this.silenceRunMs - this.speechRunStartMs) });
        }
      }
    }
    this.clockMs += at / SAMPLES_PER_MS;
    this.pending = joined.slice(at);
    return events;
  }

  get inSpeech(): boolean {
    return this.speaking;
  }

  /**
   * Audio appended while turn detection is off: not listened to, but counted, since offsets
   * (`audio_start_ms`, `audio_end_ms`) count all input audio of the session.
   */
  skip(samples: number): void {
    this.clockMs += (this.pending.length + samples) / SAMPLES_PER_MS;
    this.pending = new Int16Array(0);
    this.resetSpeech();
  }

  /** Forgets a speech run in progress (buffer cleared or committed by hand); the clock goes on. */
  resetSpeech(): void {
    this.speaking = false;
    this.speechRunMs = 0;
    this.silenceRunMs = 0;
  }
}
