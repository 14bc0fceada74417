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
