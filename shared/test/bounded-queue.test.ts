import { describe, expect, it } from 'vitest';
import { BoundedQueue } from '@voxbus/shared';

describe('BoundedQueue', () => {
  it('keeps FIFO order and drops the oldest when full, returning it', () => {
    const queue = new BoundedQueue<number>(3);
    expect([queue.push(1), queue.push(2), queue.push(3)]).toEqual([undefined, undefined, undefined]);
    expect(queue.push(4)).toBe(1);
    expect(queue.length).toBe(3);
    expect([queue.shift(), queue.shift(), queue.shift(), queue.shift()]).toEqual([2, 3, 4, undefined]);
  });

  it('wraps around many times without growing', () => {
    const queue = new BoundedQueue<number>(4);
    let dropped = 0;
    for (let i = 0; i < 1000; i++) if (queue.push(i) !== undefined) dropped++;
    expect(dropped).toBe(996);
    expect([queue.shift(), queue.shift(), queue.shift(), queue.shift()]).toEqual([996, 997, 998, 999]);
  });

  it('refuses a capacity that is not a positive integer', () => {
    expect(() => new BoundedQueue(0)).toThrow(RangeError);
    expect(() => new BoundedQueue(1.5)).toThrow(RangeError);
  });
});
