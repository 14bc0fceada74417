import { describe, expect, it } from 'vitest';
import { PlayedTimeline } from '../src/played-timeline.js';

const RATE_HZ = 48_000;
const PERIOD_FRAMES = 480;
const PERIOD_US = 10_000;
const START_US = 1_000_000;

/** The timeline fed `count` 10 ms periods stamped `stampUs(n)`; returns each period's time minus the sample count's (µs). */
function run(count: number, stampUs: (n: number) => number, timeline = new PlayedTimeline(RATE_HZ)): number[] {
  return Array.from({ length: count }, (_, n) => timeline.stamp(stampUs(n), PERIOD_FRAMES) - (START_US + n * PERIOD_US));
}

/** The largest move (µs) of the timeline against the sample count from one period to the next. */
function largestStepUs(offsetsUs: number[]): number {
  return Math.max(...offsetsUs.slice(1).map((offset, n) => Math.abs(offset - (offsetsUs[n] as number))));
}

const ms = (offsetsUs: number[], every = 50) => offsetsUs.filter((_, n) => n % every === 0).map((us) => (us / 1000).toFixed(1)).join(' ');

describe('the played timeline, which the dsp lays the echo reference down by', () => {
  it('follows the sample count through stamps that jitter 3 ms either way', () => {
    let seed = 11;
    const jitterUs = () => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return (seed / 0x7fffffff - 0.5) * 6000;
    };
    const offsetsUs = run(1000, (n) => START_US + n * PERIOD_US + jitterUs());
    expect(Math.max(...offsetsUs.map(Math.abs)), `offsets, ms: ${ms(offsetsUs)}`).toBeLessThan(3500);
    expect(largestStepUs(offsetsUs), 'the largest move from one period to the next, µs').toBeLessThanOrEqual(8);
  });

  it("does not jump with the stamps' excursions on a busy machine (7 ms later every half second to 35 ms, back by 13, 7 and 5 ms 1.5 s apart, then drifting back), and leaves the sample count by less than the dsp's canceller allows (8 ms)", () => {
    // The stamps of one busy run on the virtual board, in shape: the sound itself where the sample count says.
    const excursionUs = (n: number) => {
      const t = ((n % 1600) * PERIOD_US) / 1e6;
      if (t < 3) return 7000 * Math.min(5, Math.floor(t / 0.5));
      if (t < 6) return 35_000 - (t >= 4.5 ? 20_000 : 13_000);
      return Math.max(0, 10_000 - (t - 6) * 1000);
    };
    const offsetsUs = run(4800, (n) => START_US + n * PERIOD_US + excursionUs(n));
    expect(largestStepUs(offsetsUs), `the largest move from one period to the next, µs (offsets, ms: ${ms(offsetsUs, 100)})`).toBeLessThanOrEqual(8);
    expect(Math.max(...offsetsUs.map(Math.abs)), `offsets, ms: ${ms(offsetsUs, 100)}`).toBeLessThan(8000);
  });

  it('does not jump with stamps that run 100 ms ahead for two seconds and come back (the sound moved far less)', () => {
    const offsetsUs = run(1000, (n) => START_US + n * PERIOD_US + (n >= 300 && n < 500 ? 100_000 : 0));
    expect(largestStepUs(offsetsUs), `the largest move from one period to the next, µs (offsets, ms: ${ms(offsetsUs)})`).toBeLessThanOrEqual(8);
    expect(Math.max(...offsetsUs.map(Math.abs)), `offsets, ms: ${ms(offsetsUs)}`).toBeLessThan(1000);
  });

  it('crawls to stamps that moved for good by less than a step, at 0.8 ms a second, either way (a moved echo is the dsp\'s to find meanwhile)', () => {
    for (const movedUs of [20_000, -20_000]) {
      const offsetsUs = run(4000, (n) => START_US + n * PERIOD_US + (n >= 100 ? movedUs : 0));
      expect(largestStepUs(offsetsUs), `${movedUs / 1000} ms: the largest move from one period to the next, µs`).toBeLessThanOrEqual(8);
      // 25 s to cover 20 ms at 0.8 ms a second (the earliest of the last second lags a rise by a second).
      expect(Math.abs((offsetsUs[3900] as number) - movedUs), `${movedUs / 1000} ms: offsets, ms: ${ms(offsetsUs, 200)}`).toBeLessThan(500);
    }
  });

  it('follows a device clock 200 ppm off the monotonic one within a millisecond', () => {
    for (const ppm of [200, -200]) {
      const offsetsUs = run(6000, (n) => START_US + n * PERIOD_US * (1 + ppm / 1e6));
      const errorsUs = offsetsUs.map((offset, n) => offset - n * PERIOD_US * (ppm / 1e6));
      expect(Math.max(...errorsUs.map(Math.abs)), `${ppm} ppm`).toBeLessThan(1000);
    }
  });

  it('starts again at a large step that lasts (200 ms later for good), once, and follows the count from there', () => {
    const offsetsUs = run(1000, (n) => START_US + n * PERIOD_US + (n >= 100 ? 200_000 : 0));
    const jumps = offsetsUs.slice(1).flatMap((offset, n) => (Math.abs(offset - (offsetsUs[n] as number)) > 1000 ? [Math.round((offset - (offsetsUs[n] as number)) / 1000)] : []));
    expect(jumps.length, `jumps, ms: ${jumps.join(' ')}`).toBe(1);
    expect(Math.abs((offsetsUs[999] as number) - 200_000), `offsets, ms: ${ms(offsetsUs)}`).toBeLessThan(1000);
    expect(largestStepUs(offsetsUs.slice(600)), 'after the step').toBeLessThanOrEqual(8);
  });

  it('starts again where it is told to (a reopened device, frames lost): the next stamp as it is', () => {
    const timeline = new PlayedTimeline(RATE_HZ);
    run(100, (n) => START_US + n * PERIOD_US, timeline);
    timeline.restart();
    expect(timeline.stamp(START_US + 100 * PERIOD_US + 37_000, PERIOD_FRAMES)).toBe(START_US + 100 * PERIOD_US + 37_000);
  });
});
