import { describe, expect, it } from 'vitest';
import { holdCanEnd, JitterDepth } from '../src/jitter-depth.js';

describe('JitterDepth', () => {
  it('grows on each underrun up to its maximum and shrinks by a step per reply that played through, never below where it started', () => {
    const depth = new JitterDepth({ initialMs: 20, maxMs: 100, growMs: 40, shrinkMs: 10 });
    depth.replyStarts();
    expect(depth.depthMs).toBe(20);
    depth.underrun();
    depth.underrun();
    depth.underrun();
    expect(depth.depthMs).toBe(100);
    // The reply that ran dry does not shrink it; the next one, played through, does.
    depth.replyStarts();
    expect(depth.depthMs).toBe(100);
    depth.replyStarts();
    expect(depth.depthMs).toBe(90);
    for (let i = 0; i < 20; i++) depth.replyStarts();
    expect(depth.depthMs).toBe(20);
  });
});

describe('holdCanEnd', () => {
  it('ends a hold once the depth has arrived, or once audio has come in at twice real time or faster over at least 20 ms', () => {
    expect(holdCanEnd(60, 60, 0, 0)).toBe(true);
    // A burst at once says nothing of the rate yet.
    expect(holdCanEnd(60, 40, 0, 0)).toBe(false);
    expect(holdCanEnd(60, 40, 0, 10)).toBe(false);
    // 50 ms of audio in 20 ms: ahead of real time by far.
    expect(holdCanEnd(60, 50, 0, 20)).toBe(true);
    // 50 ms in 30 ms: faster than real time, but not twice: wait on.
    expect(holdCanEnd(60, 50, 0, 30)).toBe(false);
  });
});
