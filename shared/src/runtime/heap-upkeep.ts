import { getHeapStatistics, setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import type { Clock, TimerHandle } from './clock.js';
import type { Logger } from './logger.js';

/**
 * How much a service's heap may grow past where the last full collection left it before one is
 * made, and how often that is looked at. The dsp promotes about 2 KiB at each scavenge (what its
 * audio path has in flight then), 0.13-0.25 MiB a minute; V8 lets the old space grow at least
 * 4 MiB past its last full collection (its smallest step, even with --optimize-for-size), and its
 * memory reducer, which collects in the quiet, waits for a low allocation rate that 100 chunks a
 * second never give. So the dsp's heap rose 12 → 17 MiB for 30 minutes before V8 collected it
 * (PSS +8 % over the soak's hour). playback and audio-capture are collected by the memory
 * reducer (every few minutes, 2-4 MiB at a time); a check that finds the heap lower than the last
 * floor takes that as V8's own collection. Go's runtime forces a collection every two minutes for
 * the same reason.
 */
export const HEAP_GROWTH_BEFORE_COLLECTING_BYTES = 1024 * 1024;
export const HEAP_CHECK_PERIOD_MS = 60_000;

/** The heap as the upkeep sees it: its size in use, and a full collection. */
export interface ManagedHeap {
  usedBytes(): number;
  collect(): void;
}

export interface HeapCheck {
  readonly collected: boolean;
  readonly beforeBytes: number;
  readonly afterBytes: number;
}

/** Decides, at each check, whether the heap has grown enough since its last full collection to make one. */
export class HeapUpkeep {
  /** Where the heap stood after the last full collection (this one's, or V8's own: the lowest seen since). */
  private floorBytes: number | undefined;

  constructor(
    private readonly heap: ManagedHeap,
    private readonly growthBytes = HEAP_GROWTH_BEFORE_COLLECTING_BYTES,
  ) {}

  check(): HeapCheck {
    const beforeBytes = this.heap.usedBytes();
    // V8 collected on its own since (the heap is lower than the floor): that is the floor now.
    if (this.floorBytes === undefined || beforeBytes < this.floorBytes) {
      this.floorBytes = beforeBytes;
      return { collected: false, beforeBytes, afterBytes: beforeBytes };
    }
    if (beforeBytes - this.floorBytes < this.growthBytes) return { collected: false, beforeBytes, afterBytes: beforeBytes };
    this.heap.collect();
    const afterBytes = this.heap.usedBytes();
    this.floorBytes = afterBytes;
    return { collected: true, beforeBytes, afterBytes };
  }
}

/**
 * V8's full collection, as a function: `--expose-gc` is set only for as long as one new context
 * takes to pick it up, so the service's own global never gets a `gc`.
 */
function fullCollection(): () => void {
  setFlagsFromString('--expose-gc');
  try {
    return runInNewContext('gc') as () => void;
  } finally {
    setFlagsFromString('--no-expose-gc');
  }
}

/** The heap of this process (all its services, in all-in-one mode), kept collected every HEAP_CHECK_PERIOD_MS. */
export function startHeapUpkeep(clock: Clock, log: Logger): TimerHandle {
  const gc = fullCollection();
  const upkeep = new HeapUpkeep({ usedBytes: () => getHeapStatistics().used_heap_size, collect: gc });
  return clock.setRepeating('heap upkeep', HEAP_CHECK_PERIOD_MS, () => {
    const startedMs = performance.now();
    const check = upkeep.check();
    if (check.collected) log.debug({ beforeBytes: check.beforeBytes, afterBytes: check.afterBytes, pauseMs: Math.round(performance.now() - startedMs) }, 'heap collected');
  });
}
