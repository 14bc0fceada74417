import { describe, expect, it } from 'vitest';
import { spokenSince } from '../src/bus-adapter.js';

describe("the dsp's speech onset as evidence toward barge-in", () => {
  it('counts from the onset on the shared clock, so the way from the microphone to here counts too', () => {
    // The dsp heard 150 ms of voice starting at 1.000 s; its report arrived at 1.180 s.
    expect(spokenSince(1_000_000, 150, 1_180_000)).toBe(180);
  });

  it("falls back on the dsp's own figure where the onset is not on this clock (before the report by far, or after it)", () => {
    expect(spokenSince(1_000_000, 150, 9_000_000)).toBe(150);
    expect(spokenSince(2_000_000, 150, 1_180_000)).toBe(150);
    expect(spokenSince(1_100_000, 150, 1_180_000)).toBe(150);
  });
});
