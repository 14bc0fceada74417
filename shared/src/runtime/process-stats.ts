import { readFileSync } from 'node:fs';
import { type IntervalHistogram, monitorEventLoopDelay } from 'node:perf_hooks';

/**
 * Proportional set size of this process in bytes, from /proc/self/smaps_rollup. PSS splits
 * shared pages (Node's code, shared libraries) between the processes mapping them, so the
 * PSS of seven services adds up to what they really cost; RSS would count Node seven times.
 */
export function readPssBytes(pid: number | 'self' = 'self'): number | null {
  try {
    const text = readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8');
    const kb = /^Pss:\s+(\d+) kB/m.exec(text)?.[1];
    return kb === undefined ? null : Number(kb) * 1024;
  } catch {
    return null;
  }
}

export interface ProcessSample {
  rssBytes: number;
  pssBytes: number | null;
  heapUsedBytes: number;
  cpuUserUs: number;
  cpuSystemUs: number;
  eventLoopDelayP99Ms: number;
}

/**
 * How often the event loop's lateness is probed, ms. Each probe wakes the process, and a wake-up
 * is what costs here (about 0.1 ms of CPU on the 2-core machine): an idle process probed every
 * 10 ms took 1 % of a core (0.25 % at 50 ms), for a figure read every 10 s, in each of the eight
 * processes. At 50 ms a stall of 50 ms or more is always seen, a shorter one in proportion to its
 * length.
 */
export const LOOP_PROBE_MS = 50;

/** The event-loop delay histogram: Node's, or a test's. */
export type LoopDelayHistogram = Pick<IntervalHistogram, 'count' | 'percentile' | 'reset' | 'enable' | 'disable'>;

/** Samples this process; the event-loop delay histogram is reset at every sample. */
export class ProcessSampler {
  private readonly loopDelay: LoopDelayHistogram;

  constructor(histogram: LoopDelayHistogram = monitorEventLoopDelay({ resolution: LOOP_PROBE_MS })) {
    this.loopDelay = histogram;
    this.loopDelay.enable();
  }

  sample(): ProcessSample {
    const memory = process.memoryUsage();
    const cpu = process.cpuUsage();
    const p99Ns = this.loopDelay.count > 0 ? this.loopDelay.percentile(99) : 0;
    this.loopDelay.reset();
    return {
      rssBytes: memory.rss,
      pssBytes: readPssBytes(),
      heapUsedBytes: memory.heapUsed,
      cpuUserUs: cpu.user,
      cpuSystemUs: cpu.system,
      eventLoopDelayP99Ms: Math.round(p99Ns / 1e4) / 100,
    };
  }

  stop(): void {
    this.loopDelay.disable();
  }
}

/** One service's hold on its process's sampler. */
export interface ProcessSamplerHandle {
  /**
   * The process's sample: a fresh one, or the one another service in this process took less than
   * `maxAgeMs` before `nowMs` (its event-loop delay is then over that service's last interval).
   */
  sample(nowMs: number, maxAgeMs: number): ProcessSample;
  /** Idempotent; the last release stops the probe. */
  release(): void;
}

let shared: { sampler: ProcessSampler; users: number; last?: { atMs: number; sample: ProcessSample } } | undefined;

/**
 * The sampler of this process, shared by every service it runs. The event loop, the memory and
 * the CPU are the process's, so services run together (all-in-one) share one probe and one
 * reading of /proc instead of each paying its own.
 */
export function acquireProcessSampler(makeSampler: () => ProcessSampler = () => new ProcessSampler()): ProcessSamplerHandle {
  shared ??= { sampler: makeSampler(), users: 0 };
  const held = shared;
  held.users++;
  let released = false;
  return {
    sample(nowMs, maxAgeMs) {
      const last = held.last;
      if (last !== undefined && nowMs - last.atMs >= 0 && nowMs - last.atMs < maxAgeMs) return last.sample;
      const sample = held.sampler.sample();
      held.last = { atMs: nowMs, sample };
      return sample;
    },
    release() {
      if (released) return;
      released = true;
      if (--held.users > 0) return;
      held.sampler.stop();
      if (shared === held) shared = undefined;
    },
  };
}
