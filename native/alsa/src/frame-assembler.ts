import { CaptureTimeline } from './capture-timeline.js';
import type { AudioPeriod, CapturedFrame, GrantedFormat } from './types.js';

const TWO_POW_32 = 0x1_0000_0000;

/** What times the periods: the sample count, followed against their stamps by the timeline's own rules. */
export interface Timeline {
  /** The next period starts a new timeline. */
  restart(): void;
  /** The time (µs) of the first sample of a period of `frames` samples stamped `timeUs`. */
  stamp(timeUs: number, frames: number): number;
}

/**
 * Cuts the device's periods into frames of a fixed duration, each with the next sequence
 * number and the capture time of its first sample. Frames lost before they reached us (the
 * addon's ring overflowed) leave a matching gap in the sequence, so a consumer can tell loss
 * from silence; a reset (mute, reopen) starts a new frame without one.
 */
export class FrameAssembler {
  private readonly frameBytes: number;
  private readonly bytesPerFrameOfAudio: number;
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private pendingStartUs = 0;
  private nextSequence = 0;
  private readonly timeline: Timeline;

  /** `timeline` times the periods: a microphone's by default (its stamps are only ever late); the speaker's has its own. */
  constructor(
    private readonly format: GrantedFormat,
    readonly framesPerFrame: number,
    firstSequence = 0,
    timeline: Timeline = new CaptureTimeline(format.sampleRateHz),
  ) {
    this.bytesPerFrameOfAudio = format.channels * 2;
    this.frameBytes = framesPerFrame * this.bytesPerFrameOfAudio;
    this.nextSequence = firstSequence;
    this.timeline = timeline;
  }

  get sequence(): number {
    return this.nextSequence;
  }

  /** Drops a partly built frame (the next one starts fresh); the sequence and the timeline carry on. */
  reset(): void {
    this.pending = [];
    this.pendingBytes = 0;
  }

  /**
   * A period not turned into frames (the microphone is muted): the timeline counts it, so the
   * first frame after unmuting is placed by the sample count, not by its own period's stamp.
   */
  discard(period: AudioPeriod): void {
    this.reset();
    if (period.lostFramesBefore > 0) this.timeline.restart();
    this.timeline.stamp(period.timeUs, period.frames);
  }

  /** Adds a period; returns the frames it completed, in order. */
  push(period: AudioPeriod): CapturedFrame[] {
    const lostFramesBefore = period.lostFramesBefore;
    if (lostFramesBefore > 0) {
      // What was lost, plus what we had of the frame it interrupted, becomes a sequence gap.
      const lostFrames = Math.ceil((lostFramesBefore + this.pendingBytes / this.bytesPerFrameOfAudio) / this.framesPerFrame);
      this.nextSequence = (this.nextSequence + lostFrames) % TWO_POW_32;
      this.reset();
      // A new timeline: an overrun's recovery loses more than the lost count says (on the
      // PulseAudio plugin the stream restarts; counting on through it left the timeline 50 ms off).
      this.timeline.restart();
    }
    const periodUs = this.timeline.stamp(period.timeUs, period.frames);
    if (this.pendingBytes === 0) this.pendingStartUs = periodUs;
    this.pending.push(period.pcm);
    this.pendingBytes += period.pcm.length;
    const frames: CapturedFrame[] = [];
    if (this.pendingBytes < this.frameBytes) return frames;

    let joined = this.pending.length === 1 ? (this.pending[0] as Buffer) : Buffer.concat(this.pending, this.pendingBytes);
    let startUs = this.pendingStartUs;
    while (joined.length >= this.frameBytes) {
      frames.push({
        sampleRateHz: this.format.sampleRateHz,
        channels: this.format.channels,
        sampleFormat: 's16le',
        sequence: this.nextSequence,
        captureTimeUs: Math.round(startUs),
        pcm: joined.subarray(0, this.frameBytes),
      });
      this.nextSequence = (this.nextSequence + 1) % TWO_POW_32;
      joined = joined.subarray(this.frameBytes);
      startUs += (this.framesPerFrame * 1e6) / this.format.sampleRateHz;
    }
    this.pending = joined.length > 0 ? [joined] : [];
    this.pendingBytes = joined.length;
    this.pendingStartUs = startUs;
    return frames;
  }
}
