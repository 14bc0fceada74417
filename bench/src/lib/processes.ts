import { type ChildProcess, fork, spawn } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { readPssBytes, serviceEnv } from '@voxbus/shared';
import { freePort, startMosquitto as startSharedMosquitto, waitForPort } from '@voxbus/shared/testing';

export { freePort };
import { BENCH_ROOT } from './results.js';

export interface BrokerProcess {
  readonly name: 'aedes' | 'mosquitto';
  readonly url: string;
  readonly pid: number;
  stop(): Promise<void>;
}

function stopChild(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null) return resolve();
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
  });
}

/**
 * A service as its own process, as the run command starts it (the same V8 options), with quiet
 * logs and metrics every second. BENCH_PROFILE=<service> writes its CPU profile under
 * bench/results/profiles/.
 */
export function startService(name: string, env: Record<string, string>): ChildProcess {
  const profile = process.env.BENCH_PROFILE === name ? ['--cpu-prof', `--cpu-prof-dir=${join(BENCH_ROOT, 'results', 'profiles')}`] : [];
  // BENCH_LOG_DIR=<folder>: each service's log (its stdout) kept there, for finding what went wrong.
  const logFd = process.env.BENCH_LOG_DIR === undefined ? undefined : openSync(join(process.env.BENCH_LOG_DIR, `${name}.log`), 'a');
  const child = spawn(process.execPath, [...profile, join(BENCH_ROOT, '..', 'services', name, 'dist', 'main.js')], {
    // VOXBUS_EXIT_WITH_PID: it stops with this benchmark, even one killed with SIGKILL.
    env: { ...process.env, ...serviceEnv(process.env), VOXBUS_LOG__LEVEL: 'warn', VOXBUS_METRICS_INTERVAL_MS: '1000', VOXBUS_EXIT_WITH_PID: String(process.pid), ...env },
    stdio: ['ignore', logFd ?? 'ignore', 'inherit'],
  });
  // The child holds its own copy of the descriptor.
  if (logFd !== undefined) closeSync(logFd);
  return child;
}

/** The project's broker service, as its own process, as the run command starts it (BENCH_PROFILE=broker: with its CPU profile). */
export async function startAedesService(): Promise<BrokerProcess> {
  const tcpPort = await freePort();
  const wsPort = await freePort();
  const profile = process.env.BENCH_PROFILE === 'broker' ? ['--cpu-prof', `--cpu-prof-dir=${join(BENCH_ROOT, 'results', 'profiles')}`] : [];
  const child = spawn(process.execPath, [...profile, join(BENCH_ROOT, '..', 'services', 'broker', 'dist', 'main.js')], {
    env: {
      ...process.env,
      ...serviceEnv(process.env),
      VOXBUS_BROKER__TCP_PORT: String(tcpPort),
      VOXBUS_BROKER__WS_PORT: String(wsPort),
      VOXBUS_BROKER__SHUTDOWN_GRACE_MS: '0',
      VOXBUS_EXIT_WITH_PID: String(process.pid),
      VOXBUS_BUS__URL: `mqtt://127.0.0.1:${tcpPort}`,
      VOXBUS_LOG__LEVEL: 'warn',
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  await waitForPort(tcpPort);
  return { name: 'aedes', url: `mqtt://127.0.0.1:${tcpPort}`, pid: child.pid as number, stop: () => stopChild(child) };
}

/** Debian's Mosquitto on a free port, TCP_NODELAY on, no persistence. */
export async function startMosquitto(): Promise<BrokerProcess> {
  const mosquitto = await startSharedMosquitto();
  return { name: 'mosquitto', url: mosquitto.url, pid: mosquitto.pid, stop: () => mosquitto.stop() };
}

export interface Worker {
  readonly child: ChildProcess;
  next(event: string): Promise<Record<string, unknown>>;
  send(message: Record<string, unknown>): void;
}

/** Forks a bench worker and lets the caller await its IPC events in order. */
export function forkWorker(script: string, args: string[]): Worker {
  const child = fork(script, args, { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const events: Record<string, unknown>[] = [];
  const waiters: { event: string; resolve: (m: Record<string, unknown>) => void }[] = [];
  child.on('message', (message: Record<string, unknown>) => {
    const index = waiters.findIndex((w) => w.event === message.event);
    if (index >= 0) waiters.splice(index, 1)[0]?.resolve(message);
    else events.push(message);
  });
  return {
    child,
    send: (message) => child.send(message),
    next: (event) => {
      const index = events.findIndex((m) => m.event === event);
      if (index >= 0) return Promise.resolve(events.splice(index, 1)[0] as Record<string, unknown>);
      return new Promise((resolve) => waiters.push({ event, resolve }));
    },
  };
}

/** CPU time (user + system) of a process, in ms, from /proc/<pid>/stat. */
export function cpuTimeMs(pid: number): number {
  return statCpuMs(`/proc/${pid}/stat`);
}

/** CPU time (user + system), in ms, from a stat file of /proc (a process's or one of its threads'). */
export function statCpuMs(path: string): number {
  const stat = readFileSync(path, 'utf8');
  // The fields after the command's name, which may itself hold spaces and parentheses.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = Number(fields[11]) + Number(fields[12]);
  return (ticks * 1000) / 100; // USER_HZ is 100 on Linux
}

export function memoryOf(pid: number): { pssBytes: number | null; rssBytes: number | null } {
  let rssBytes: number | null = null;
  try {
    const kb = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
    rssBytes = kb === undefined ? null : Number(kb) * 1024;
  } catch {
    rssBytes = null;
  }
  return { pssBytes: readPssBytes(pid), rssBytes };
}
