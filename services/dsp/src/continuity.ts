import { type AudioFrame, frameDurationMs } from '@voxbus/shared';

/** How a frame follows the one before it in its stream. */
export type Continuity =
  | { readonly kind: 'first' }
  | { readonly kind: 'continuous' }
  /** Frames were lost (a sequence gap): `lostMs` of audio is missing. */
  | { readonly kind: 'gap'; readonly lostMs: number }
  /** A new stream: another format, or a jump in time without loss (a microphone unmuted) of `jumpMs` from where the last frame ended. */
  | { readonly kind: 'restart'; readonly why: 'format' }
  | { readonly kind: 'restart'; readonly why: 'time'; readonly jumpMs: number };

const TWO_POW_32 = 0x1_0000_0000;
/** Timestamps may wander by this much from one frame to the next without being a jump. */
const JITTER_TOLERANCE_MS = 5;

/** Follows one stream of frames (sequence numbers, timestamps, format). */
export class ContinuityTracker {
  private last: AudioFrame | undefined;

  next(frame: AudioFrame): Continuity {
    const last = this.last;
    this.last = frame;
    if (last === undefined) return { kind: 'first' };
    if (last.sampleRateHz !== frame.sampleRateHz || last.channels !== frame.channels || last.sampleFormat !== frame.sampleFormat) {
      return { kind: 'restart', why: 'format' };
    }
    const lostFrames = (frame.sequence - last.sequence - 1 + TWO_POW_32) % TWO_POW_32;
    // A sequence far "ahead" is a producer that restarted its count, not 2^32 lost frames.
    if (lostFrames > 0 && lostFrames < 1_000_000) return { kind: 'gap', lostMs: lostFrames * frameDurationMs(last) };
    const expectedUs = last.captureTimeUs + frameDurationMs(last) * 1000;
    if (lostFrames !== 0 || Math.abs(frame.captureTimeUs - expectedUs) > JITTER_TOLERANCE_MS * 1000) return { kind: 'restart', why: 'time', jumpMs: (frame.captureTimeUs - expectedUs) / 1000 };
    return { kind: 'continuous' };
  }

  reset(): void {
    this.last = undefined;
  }
}
