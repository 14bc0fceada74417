import { readdirSync, readFileSync } from 'node:fs';
import { statCpuMs } from './processes.js';

/**
 * What kind of thread of a voxbus process a thread is, by its name: the JS thread, the audio
 * threads of the ALSA addon, the PulseAudio client's threads (the ALSA pulse plugin runs one
 * main loop per open device), the lcd's drawing library's workers, and Node's own (V8's
 * collector and compiler helpers, libuv's pool).
 */
export type ThreadKind = 'js' | 'audio-devices' | 'pulseaudio-client' | 'canvas-workers' | 'node-workers';

function kindOf(pid: number, tid: number, name: string): ThreadKind {
  if (tid === pid) return 'js';
  if (name.startsWith('voxbus-')) return 'audio-devices';
  if (name === 'threaded-ml') return 'pulseaudio-client';
  if (name.startsWith('tokio-')) return 'canvas-workers';
  return 'node-workers';
}

/** CPU ms each kind of thread of `pid` has used so far (threads that ended took theirs with them). */
export function threadCpuMs(pid: number): Map<ThreadKind, number> {
  const byKind = new Map<ThreadKind, number>();
  let tids: string[];
  try {
    tids = readdirSync(`/proc/${pid}/task`);
  } catch {
    return byKind;
  }
  for (const tid of tids) {
    try {
      const name = readFileSync(`/proc/${pid}/task/${tid}/comm`, 'utf8').trim();
      const ms = statCpuMs(`/proc/${pid}/task/${tid}/stat`);
      const kind = kindOf(pid, Number(tid), name);
      byKind.set(kind, (byKind.get(kind) ?? 0) + ms);
    } catch {
      // the thread ended meanwhile
    }
  }
  return byKind;
}

/** % of one core each kind of thread used between two readings `seconds` apart, largest first. */
export function threadCpuPercent(before: Map<ThreadKind, number>, after: Map<ThreadKind, number>, seconds: number): Partial<Record<ThreadKind, number>> {
  const entries = [...after].map(([kind, ms]) => [kind, Math.round(((ms - (before.get(kind) ?? 0)) / (seconds * 1000)) * 1000) / 10] as const);
  return Object.fromEntries(entries.sort((a, b) => b[1] - a[1]));
}
