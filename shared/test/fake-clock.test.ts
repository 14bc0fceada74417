import { describe, expect, it } from 'vitest';
import { FakeClock } from '@voxbus/shared/testing';

describe('FakeClock', () => {
  it('fires timers in due order, repeating ones each period, and not cancelled ones', () => {
    const clock = new FakeClock(0);
    const fired: string[] = [];
    clock.setTimer('late', 50, () => fired.push(`late@${clock.nowMs()}`));
    const tick = clock.setRepeating('tick', 20, () => fired.push(`tick@${clock.nowMs()}`));
    const never = clock.setTimer('never', 10, () => fired.push('never'));
    never.cancel();
    clock.advance(60);
    tick.cancel();
    clock.advance(100);
    expect(fired).toEqual(['tick@20', 'tick@40', 'late@50', 'tick@60']);
    expect(clock.pendingTimers()).toEqual([]);
    expect(clock.monotonicUs()).toBe(1_000_000 + 160_000);
  });
});
