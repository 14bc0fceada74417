import { processTree } from '@voxbus/shared/process';

/**
 * Nothing a benchmark starts may outlive it: on Ctrl-C, SIGTERM (a CI timeout), a crash or a plain
 * exit, every process below this one (services, brokers, the virtual board's PulseAudio, recorders)
 * is signalled: SIGTERM first, SIGKILL to what is still there a moment later (and at once on a
 * plain exit, where nothing can be awaited). Benchmarks import this first; it arms itself.
 */
const GRACE_MS = 2000;

function descendants(): number[] {
  try {
    return processTree(process.pid).slice(1);
  } catch {
    return [];
  }
}

function signalAll(pids: readonly number[], signal: NodeJS.Signals): void {
  for (const pid of pids) {
    try {
      process.kill(pid, signal);
    } catch {
      // already gone
    }
  }
}

let ending = false;
function endWith(code: number, why: string): void {
  if (ending) return;
  ending = true;
  const pids = descendants();
  if (pids.length > 0) console.error(`[bench] ${why}: stopping ${pids.length} process(es) it started`);
  signalAll(pids, 'SIGTERM');
  setTimeout(() => process.exit(code), GRACE_MS).unref();
  // Exit as soon as they are gone; the timer above is the bound.
  const poll = setInterval(() => {
    if (descendants().length === 0) process.exit(code);
  }, 100);
  poll.unref();
}

process.on('SIGINT', () => endWith(130, 'interrupted'));
process.on('SIGTERM', () => endWith(143, 'terminated'));
process.on('uncaughtException', (error) => {
  console.error(error);
  endWith(1, 'crashed');
});
process.on('unhandledRejection', (reason) => {
  console.error(reason);
  endWith(1, 'crashed');
});
// Whatever way the process ends: what is still below it gets SIGKILL (synchronous, the last chance).
process.on('exit', () => signalAll(descendants(), 'SIGKILL'));
