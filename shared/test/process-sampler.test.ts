import { describe, expect, it } from 'vitest';
import { acquireProcessSampler, type LoopDelayHistogram, ProcessSampler } from '../src/runtime/process-stats.js';

/** A histogram that says how it was used: enabled, reset, disabled. */
function histogram(): LoopDelayHistogram & { enabled: boolean; resets: number } {
  return {
    enabled: false,
    resets: 0,
    count: 3,
    percentile: () => 12_340_000, // 12.34 ms
    reset() {
      this.resets++;
    },
    enable() {
      this.enabled = true;
      return true;
    },
    disable() {
      this.enabled = false;
      return true;
    },
  };
}

describe('the process sampler, shared by the services of one process', () => {
  it('probes once for every service in the process, and stops the probe when the last lets go', () => {
    const probe = histogram();
    let made = 0;
    const make = () => {
      made++;
      return new ProcessSampler(probe);
    };
    const first = acquireProcessSampler(make);
    const second = acquireProcessSampler(make);
    expect(made, 'one probe for two services').toBe(1);
    expect(probe.enabled).toBe(true);
    first.release();
    first.release(); // idempotent: the second service keeps its probe
    expect(probe.enabled, 'the probe runs while one service still holds it').toBe(true);
    second.release();
    expect(probe.enabled, 'the last release stops the probe').toBe(false);
    const again = acquireProcessSampler(make);
    expect(made, 'a new holder after all let go gets a new probe').toBe(2);
    again.release();
  });

  it('hands a sample taken within the age asked for to the next service, and takes a new one after', () => {
    const probe = histogram();
    const first = acquireProcessSampler(() => new ProcessSampler(probe));
    const second = acquireProcessSampler(() => new ProcessSampler(histogram()));
    try {
      const taken = first.sample(1_000, 5_000);
      expect(taken.eventLoopDelayP99Ms).toBe(12.34);
      expect(taken.rssBytes).toBeGreaterThan(0);
      expect(probe.resets).toBe(1);
      expect(second.sample(4_000, 5_000), '3 s later, within 5 s: the same sample').toBe(taken);
      expect(probe.resets, 'nothing reset for a shared sample').toBe(1);
      const fresh = second.sample(6_000, 5_000);
      expect(fresh, '5 s later: a new sample').not.toBe(taken);
      expect(probe.resets).toBe(2);
      expect(first.sample(5_000, 5_000), 'a clock behind the last sample (another service\'s) takes a new one').not.toBe(fresh);
    } finally {
      first.release();
      second.release();
    }
  });
});
