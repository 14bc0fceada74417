import { describe, expect, it } from 'vitest';
import { HeapUpkeep, type ManagedHeap } from '../src/runtime/heap-upkeep.js';

const MIB = 1024 * 1024;

/** A heap whose garbage grows as told and goes at a full collection, its live part staying put. */
class FakeHeap implements ManagedHeap {
  garbageBytes = 0;
  collections = 0;
  constructor(private readonly liveBytes: number) {}
  usedBytes(): number {
    return this.liveBytes + this.garbageBytes;
  }
  collect(): void {
    this.collections++;
    this.garbageBytes = 0;
  }
}

describe("a service's heap upkeep", () => {
  it('collects once the heap has grown a mebibyte past where the last collection left it, and not before', () => {
    const heap = new FakeHeap(12 * MIB);
    const upkeep = new HeapUpkeep(heap, MIB);
    expect(upkeep.check()).toEqual({ collected: false, beforeBytes: 12 * MIB, afterBytes: 12 * MIB });
    heap.garbageBytes = 0.9 * MIB;
    expect(upkeep.check().collected).toBe(false);
    heap.garbageBytes = 1.2 * MIB;
    expect(upkeep.check()).toEqual({ collected: true, beforeBytes: 13.2 * MIB, afterBytes: 12 * MIB });
    expect(heap.collections).toBe(1);
    // Measured from where that collection left it.
    heap.garbageBytes = 0.5 * MIB;
    expect(upkeep.check().collected).toBe(false);
    expect(heap.collections).toBe(1);
  });

  it("takes V8's own collection (a heap lower than the last floor) as the new floor, so a collected service is left alone", () => {
    const heap = new FakeHeap(12 * MIB);
    heap.garbageBytes = 3 * MIB;
    const upkeep = new HeapUpkeep(heap, MIB);
    upkeep.check();
    // V8 collected between checks; then a little garbage: under a mebibyte from the new floor.
    heap.garbageBytes = 0;
    expect(upkeep.check().collected).toBe(false);
    heap.garbageBytes = 0.8 * MIB;
    expect(upkeep.check().collected).toBe(false);
    expect(heap.collections).toBe(0);
  });
});

describe('the full collection it makes', () => {
  it("is V8's own, and leaves no gc function on the service's global", async () => {
    const { startHeapUpkeep } = await import('../src/runtime/heap-upkeep.js');
    const { FakeClock } = await import('../src/testing/fake-clock.js');
    const { createLogger } = await import('../src/runtime/logger.js');
    const clock = new FakeClock();
    const handle = startHeapUpkeep(clock, createLogger('test', 'silent'));
    expect((globalThis as { gc?: unknown }).gc).toBeUndefined();
    // The first check finds the floor; then garbage past the growth, and the next check collects it.
    clock.advance(60_000);
    let garbage: unknown[] | undefined = Array.from({ length: 40_000 }, (_, i) => ({ i, text: `garbage ${i}` }));
    const { getHeapStatistics } = await import('node:v8');
    const withGarbage = getHeapStatistics().used_heap_size;
    garbage = undefined;
    clock.advance(60_000);
    expect(garbage).toBeUndefined();
    expect(getHeapStatistics().used_heap_size).toBeLessThan(withGarbage - 1024 * 1024);
    handle.cancel();
  });
});
