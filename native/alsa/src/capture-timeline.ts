import { RecentEarliest } from './recent-earliest.js';

/** A period this far (µs) from where the sample count puts it is a discontinuity, not lateness. */
const RESYNC_US = 100_000;
/** How many recent periods the timeline takes its earliest from (about a second of 10 ms periods). */
const WINDOW_PERIODS = 100;
/**
 * How fast (µs a period) the timeline may move later when the earliest recent period says so: a
 * device clock slower than CLOCK_MONOTONIC drifts that way by a few µs a period, far below this.
 */
const RISE_PER_PERIOD_US = 50;
/**
 * This many periods in a row all more than STEP_US later than the timeline are a step (a glitch
 * the device did not report, a resumed stream), not lateness: the timeline starts again there.
 */
const STEP_US = 5000;
const STEP_PERIODS = 25;

/**
 * When each captured sample was heard, from the periods' own stamps. A period's stamp is only
 * ever late, never early, by how long the sound server held the audio before handing it over
 * (measured on the PulseAudio plugin: within ±1 ms of the median for 90 % of periods, but up to
 * 7 ms late quiet and tens of ms late on a busy machine), while the samples themselves come at
 * the device's steady rate. So the timeline follows the sample count from the earliest of the
 * recent stamps: a busy machine makes stamps later, not the timeline. (Following their mean moved
 * it with the load: the echo canceller, which places its reference by these times, found the
 * echo 25 ms nearer over a few minutes of load and re-placed its reference on that.)
 */
export class CaptureTimeline {
  /** When sample 0 of the timeline was captured, µs. */
  private anchorUs: number | undefined;
  /** Samples counted since sample 0. */
  private samples = 0;
  private readonly recent = new RecentEarliest(WINDOW_PERIODS);
  private lateRun = 0;

  constructor(private readonly sampleRateHz: number) {}

  /** The next period starts a new timeline (a new stream; an overrun, whose recovery loses an unknown amount). */
  restart(): void {
    this.anchorUs = undefined;
  }

  /** The capture time (µs) of the first sample of a period of `frames` samples stamped `timeUs`. */
  stamp(timeUs: number, frames: number): number {
    const offsetUs = (this.samples * 1e6) / this.sampleRateHz;
    // When sample 0 was captured, by this period's stamp.
    const implied = timeUs - offsetUs;
    if (this.anchorUs === undefined || Math.abs(implied - this.anchorUs) > RESYNC_US || this.lateRun >= STEP_PERIODS) {
      this.anchorUs = timeUs;
      this.samples = frames;
      this.recent.clear();
      this.lateRun = 0;
      this.recent.push(timeUs);
      return timeUs;
    }
    this.recent.push(implied);
    const earliest = this.recent.earliest;
    this.anchorUs = earliest <= this.anchorUs ? earliest : Math.min(earliest, this.anchorUs + RISE_PER_PERIOD_US);
    this.lateRun = implied > this.anchorUs + STEP_US ? this.lateRun + 1 : 0;
    this.samples += frames;
    return this.anchorUs + offsetUs;
  }
}
