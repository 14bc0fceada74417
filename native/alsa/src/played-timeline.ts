import { RecentEarliest } from './recent-earliest.js';

/** How many recent periods the timeline takes its earliest from (about a second of 10 ms periods). */
const WINDOW_PERIODS = 100;
/**
 * How fast (µs a period) the timeline moves toward what its stamps say, either way: 0.8 ms a
 * second, under the dsp's walk (one sample a 20 ms frame, 2 ms a second at its 24 kHz; its
 * smoothing makes it lag above about 1), so the reference it lays down never jumps, and well over
 * a device's clock drift against CLOCK_MONOTONIC (0.2 ms a second in the virtual board's stamps).
 */
const SLEW_PER_PERIOD_US = 8;
/**
 * The stamps this far (µs) from the timeline for this many periods in a row are a step that
 * happened (a stream stalled for good): the timeline starts again there. Smaller moves that last
 * are the dsp's to find in the signals (its delay estimator re-places the reference within a
 * second or two), while the stamps ran 96 ms ahead of a sound that moved 25 ms in one busy run
 * (a step at 50 ms for half a second took that, and the dsp re-placed its reference four times).
 */
const STEP_US = 150_000;
const STEP_PERIODS = 300;

/**
 * When each played sample is heard, from the periods' stamps (the write's time plus the delay
 * the device reports). On the PulseAudio plugin that delay is the client's smoothed estimate:
 * with a core busy it ran away from the sample count for seconds at a time, 7 ms later every
 * half second and back by 13, 7 and 5 ms 1.5 s apart, while the echo the microphone heard moved
 * much less (the dsp found it 10-20 ms earlier than those stamps placed it). Followed period by
 * period (the capture timeline's rules: the earliest recent stamp at once, later ones after 250
 * ms), every such move restarted the dsp's reference, and each restart left the echo gate in
 * doubt for up to half a second, gating a voice: 51 restarts in 3 minutes of one busy run.
 * So the timeline follows the sample count from the earliest of the recent stamps (a late
 * stamp is the likelier error), moving toward it no faster than SLEW_PER_PERIOD_US either way;
 * only a large step that lasts, or frames lost, starts it again.
 */
export class PlayedTimeline {
  /** When sample 0 of the timeline was heard, µs. */
  private anchorUs: number | undefined;
  /** Samples counted since sample 0. */
  private samples = 0;
  private readonly recent = new RecentEarliest(WINDOW_PERIODS);
  private offRun = 0;

  constructor(private readonly sampleRateHz: number) {}

  /** The next period starts a new timeline (a new stream; an underrun, whose recovery loses an unknown amount). */
  restart(): void {
    this.anchorUs = undefined;
  }

  /** When the first sample of a period of `frames` samples stamped `timeUs` is heard, µs. */
  stamp(timeUs: number, frames: number): number {
    if (this.anchorUs === undefined || this.offRun >= STEP_PERIODS) {
      this.anchorUs = timeUs;
      this.samples = frames;
      this.recent.clear();
      this.offRun = 0;
      this.recent.push(timeUs);
      return timeUs;
    }
    const offsetUs = (this.samples * 1e6) / this.sampleRateHz;
    // When sample 0 was heard, by this period's stamp.
    this.recent.push(timeUs - offsetUs);
    const towardUs = this.recent.earliest - this.anchorUs;
    this.offRun = Math.abs(towardUs) > STEP_US ? this.offRun + 1 : 0;
    this.anchorUs += Math.max(-SLEW_PER_PERIOD_US, Math.min(SLEW_PER_PERIOD_US, towardUs));
    this.samples += frames;
    return this.anchorUs + offsetUs;
  }
}
