import { setTimeout as sleep } from 'node:timers/promises';
import { Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { cpuTimeMs } from '../bench/src/lib/processes.js';
import { type ThreadKind, threadCpuMs } from '../bench/src/lib/thread-cpu.js';

const used = (before: Map<ThreadKind, number>, kind: ThreadKind) => (threadCpuMs(process.pid).get(kind) ?? 0) - (before.get(kind) ?? 0);

describe("the footprint benchmark's CPU readings from /proc", () => {
  // Each part runs until /proc says the thread used 200 ms (not for a wall time: a busy machine gives less).
  it("charges a busy JS thread to 'js' and a busy worker thread to Node's workers; the process's total holds both", async () => {
    const start = { total: cpuTimeMs(process.pid), threads: threadCpuMs(process.pid) };
    const deadline = performance.now() + 20_000;
    while (used(start.threads, 'js') < 200 && performance.now() < deadline) for (let i = 0; i < 1e5; i++) Math.sqrt(Math.random());
    const afterJs = threadCpuMs(process.pid);
    expect(used(start.threads, 'js'), "the JS thread's 200 ms, within 20 s").toBeGreaterThanOrEqual(200);
    // A worker spins until told to stop; this thread only looks.
    const worker = new Worker('const { parentPort } = require("node:worker_threads"); let on = true; parentPort.on("message", () => { on = false; parentPort.close(); }); (function spin() { const until = Date.now() + 20; while (Date.now() < until) Math.sqrt(Math.random()); if (on) setImmediate(spin); })();', { eval: true });
    try {
      while (used(afterJs, 'node-workers') < 200 && performance.now() < deadline) await sleep(20);
      const said = `js ${used(afterJs, 'js')} ms, node workers ${used(afterJs, 'node-workers')} ms while the worker spun`;
      expect(used(afterJs, 'node-workers'), said).toBeGreaterThanOrEqual(200);
      expect(used(afterJs, 'js'), said).toBeLessThan(100);
      const threads = used(start.threads, 'js') + used(start.threads, 'node-workers');
      expect(cpuTimeMs(process.pid) - start.total, `the process's total against its threads' ${threads} ms`).toBeGreaterThanOrEqual(threads - 20);
    } finally {
      worker.postMessage('stop');
      await worker.terminate();
    }
  }, 30_000);
});
