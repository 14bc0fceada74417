import { readdirSync, readFileSync } from 'node:fs';
import { basename } from 'node:path';

/** The processes under `root` (itself included), as they are now. */
export function processTree(root: number): number[] {
  const children = new Map<number, number[]>();
  for (const entry of readdirSync('/proc')) {
    const pid = Number(entry);
    if (!Number.isInteger(pid)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    } catch {
      continue;
    }
    // The command may hold spaces and parentheses: the fields start after the last ')'.
    const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    children.set(ppid, [...(children.get(ppid) ?? []), pid]);
  }
  const tree: number[] = [];
  for (const queue = [root]; queue.length > 0; ) {
    const pid = queue.shift() as number;
    tree.push(pid);
    queue.push(...(children.get(pid) ?? []));
  }
  return tree;
}

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
