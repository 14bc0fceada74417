import { describe, expect, it } from 'vitest';
import { JitterDepth } from '../src/jitter-depth.js';

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
