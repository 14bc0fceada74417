import { filterMatches } from '@voxbus/shared';
import { describe, expect, it } from 'vitest';
import { anyFilterMatcher } from '../src/access-policy.js';

describe('anyFilterMatcher (the ACL asked on every publish and delivery)', () => {
  const filters = ['voxbus/dsp/#', 'voxbus/+/status', 'voxbus/audio/input'];

  it('answers as filterMatches does, asked once or again, before and after it forgets', () => {
    const matches = anyFilterMatcher(filters);
    const expected = (topic: string) => filters.some((filter) => filterMatches(filter, topic));
    const topics = ['voxbus/dsp/state', 'voxbus/dsp', 'voxbus/playback/status', 'voxbus/audio/input', 'voxbus/audio/input/x', 'voxbus/audio/mic', 'voxbus', ''];
    // A fuzzer's many distinct topics in between: the remembered answers are dropped and asked again.
    const noise = Array.from({ length: 700 }, (_, i) => `voxbus/noise/${i}`);
    for (const topic of [...topics, ...noise, ...topics, ...topics]) expect(matches(topic), topic).toBe(expected(topic));
  });

  it('with no filters, matches nothing', () => {
    expect(anyFilterMatcher([])('voxbus/dsp/state')).toBe(false);
  });
});
