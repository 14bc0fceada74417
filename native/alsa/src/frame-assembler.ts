import type { AudioPeriod, GrantedFormat } from './types.js';
import type { AudioFrame } from '@voxbus/shared';

const TWO_POW_32 = 0x1_0000_0000;
/** A period this far from where the sample count puts it is a discontinuity, not jitter. */
const RESYNC_US = 100_000;
/** How fast the timeline follows the measured times (the device clock drifts from CLOCK_MONOTONIC). */
const DRIFT_GAIN = 0.02;
/**
 * Once settled, a period's stamp counts at most this far (µs) from the timeline: a clock drifts
 * by well under 0.1 ms a period, so more is that one period's lateness (an overrun's recovery,
 * a busy machine), which must not move the timeline the echo canceller places its reference by.
 */
const DRIFT_CLAMP_US = 5000;
/**
 * This many periods in a row all beyond DRIFT_CLAMP_US on the same side are not lateness but a
 * step (a glitch the device did not report, a resumed stream): the timeline starts again there,
 * rather than crawling towards it at the clamped rate (10 ms a second, each step a jump of the
 * echo canceller's reference).
 */
const STEP_PERIODS = 25;
/**
 * A new anchor (a stream's first period, or a jump past RESYNC_US) is one period's time, which may
 * be a period or two late; until this many periods
 * have come, the anchor is the mean of what each of them says (the same weight DRIFT_GAIN then
 * gives the newest), so a restart's timeline is right within a few periods instead of carrying
 * the first period's jitter for seconds. The echo canceller places its reference by these times.
 */
const SETTLING_PERIODS = Math.round(1 / DRIFT_GAIN);

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
  /** The timeline stamp() keeps: the anchor's time, and the samples counted from it. */
  private anchorUs: number | undefined;
  private samplesSinceAnchor = 0;
  private periodsSinceAnchor = 0;
  /** Periods in a row beyond DRIFT_CLAMP_US, signed by the side they are on. */
  private offsetRun = 0;

  constructor(
    private readonly format: GrantedFormat,
    readonly framesPerFrame: number,
    firstSequence = 0,
  ) {
    this.bytesPerFrameOfAudio = format.channels * 2;
    this.frameBytes = framesPerFrame * this.bytesPerFrameOfAudio;
    this.nextSequence = firstSequence;
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
   * first frame after unmuting is placed by the sample count, not by its own period's stamp
   * (re-anchoring there moved the echo canceller's reference by several ms at every unmute).
   */
  discard(period: AudioPeriod): void {
    this.reset();
    if (period.lostFramesBefore > 0) this.anchorUs = undefined;
    this.stamp(period);
  }

  /**
   * The capture time of a period's first sample. Each period's own timestamp jitters by a
   * period or more (measured on the PulseAudio plugin: 20 ms), while the samples themselves
   * come at the device's steady rate; so times follow the sample count from an anchor, which
   * tracks the measured times slowly and jumps only at a discontinuity.
   */
  private stamp(period: AudioPeriod): number {
    const nominal = this.anchorUs === undefined ? undefined : this.anchorUs + (this.samplesSinceAnchor * 1e6) / this.format.sampleRateHz;
    const offsetUs = nominal === undefined ? 0 : period.timeUs - nominal;
    const settling = this.periodsSinceAnchor < SETTLING_PERIODS;
    const beyond = !settling && Math.abs(offsetUs) > DRIFT_CLAMP_US ? Math.sign(offsetUs) : 0;
    this.offsetRun = beyond !== 0 && Math.sign(this.offsetRun) === beyond ? this.offsetRun + beyond : beyond;
    if (nominal === undefined || Math.abs(offsetUs) > RESYNC_US || Math.abs(this.offsetRun) >= STEP_PERIODS) {
      this.anchorUs = period.timeUs;
      this.samplesSinceAnchor = period.frames;
      this.periodsSinceAnchor = 1;
      this.offsetRun = 0;
      return period.timeUs;
    }
    this.periodsSinceAnchor++;
    this.anchorUs = (this.anchorUs as number) + (settling ? offsetUs / this.periodsSinceAnchor : Math.max(-DRIFT_CLAMP_US, Math.min(DRIFT_CLAMP_US, offsetUs)) * DRIFT_GAIN);
    const stamped = this.anchorUs + (this.samplesSinceAnchor * 1e6) / this.format.sampleRateHz;
    this.samplesSinceAnchor += period.frames;
    return stamped;
  }

  /** Adds a period; returns the frames it completed, in order. */
  push(period: AudioPeriod): AudioFrame[] {
    const lostFramesBefore = period.lostFramesBefore;
    if (lostFramesBefore > 0) {
      // What was lost, plus what we had of the frame it interrupted, becomes a sequence gap.
      const lostFrames = Math.ceil((lostFramesBefore + this.pendingBytes / this.bytesPerFrameOfAudio) / this.framesPerFrame);
      this.nextSequence = (this.nextSequence + lostFrames) % TWO_POW_32;
      this.reset();
      // A new timeline: what an overrun's recovery did to the device's clock is more than the
      // lost count says (on the PulseAudio plugin the stream restarts; counting on through it
      // left the timeline 50 ms off, crawling back for seconds).
      this.anchorUs = undefined;
    }
    const periodUs = this.stamp(period);
    if (this.pendingBytes === 0) this.pendingStartUs = periodUs;
    this.pending.push(period.pcm);
    this.pendingBytes += period.pcm.length;
    const frames: AudioFrame[] = [];
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
