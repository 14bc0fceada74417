import { readFileSync } from 'node:fs';
import { basename } from 'node:path';

/**
 * What a process of the stack is: a service (by its entry point, bundled or not), the runner,
 * or the shell that wraps a service for it.
 */
export function processName(pid: number, runnerPid: number): string {
  let argv: string[];
  try {
    argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean);
  } catch {
    return 'gone';
  }
  if (pid === runnerPid) return 'runner';
  const joined = argv.join(' ');
  // The wrapper's command line names the service too: it is told apart first.
  if (/run-service\.sh/.test(joined)) return 'wrapper shells';
  const service = /services\/([^/]+)\/dist\/|voxbus-([a-z-]+)\.m?js/.exec(joined);
  if (service !== null) return (service[1] ?? service[2]) as string;
  return basename(argv[0] ?? 'unknown');
}

/**
 * When the machine booted, ms since the epoch, to 10 ms: now less /proc/uptime. Not /proc/stat's
 * `btime`, which is whole seconds: the boot's fraction of a second (317 ms on this machine when
 * it was found) made every process look that much older, and every start-up that much slower.
 */
const BOOT_EPOCH_MS = Date.now() - Number(readFileSync('/proc/uptime', 'utf8').split(' ')[0]) * 1000;

/** When a process started, ms since the epoch (to 10 ms: /proc counts in clock ticks since boot). */
export function processStartMs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const startTicks = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19]);
  return BOOT_EPOCH_MS + startTicks * 10;
}
