import { processStartMs } from './process-tree.js';

/** A service's latest `online` status as the observing client got it. */
export interface OnlineStatus {
  readonly pid: number;
  /** When it arrived, ms since the epoch. */
  readonly atMs: number;
  /** Sent retained (from before the client subscribed): its time is then only an upper bound. */
  readonly retained: boolean;
}

export interface AloneStartup {
  readonly name: string;
  readonly pid: number;
  readonly onlineAfterStartMs: number;
}

const POLL_MS = 20;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Each service's start-up on its own: its process killed (SIGKILL) while the rest of the stack
 * runs, started again by the runner, and timed from the new process's start to its new `online`.
 * When the stack starts, seven Node processes start at once on this machine's two cores; this
 * is what one costs when it starts alone (a restart, or units started one after another).
 * One at a time, `settleMs` apart, so that one's reconnecting peers do not load the next.
 */
export async function restartEachAlone(
  names: readonly string[],
  latestOnline: (name: string) => OnlineStatus | undefined,
  settleMs: number,
  timeoutMs: number,
): Promise<AloneStartup[]> {
  const startups: AloneStartup[] = [];
  for (const name of names) {
    const before = latestOnline(name);
    if (before === undefined) throw new Error(`bench:footprint: ${name} never said it was online, so it cannot be restarted to time its start`);
    process.kill(before.pid, 'SIGKILL');
    const deadline = Date.now() + timeoutMs;
    let after = latestOnline(name);
    while (after === undefined || after.pid === before.pid || after.retained) {
      if (Date.now() > deadline) throw new Error(`bench:footprint: ${name} (pid ${before.pid}, killed) was not online again within ${timeoutMs} ms`);
      await sleep(POLL_MS);
      after = latestOnline(name);
    }
    startups.push({ name, pid: after.pid, onlineAfterStartMs: after.atMs - processStartMs(after.pid) });
    await sleep(settleMs);
  }
  return startups;
}
