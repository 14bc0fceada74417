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

/** Samples this process; the event-loop delay histogram is reset at every sample. */
export class ProcessSampler {
  private readonly loopDelay: IntervalHistogram = monitorEventLoopDelay({ resolution: 10 });

  constructor() {
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
