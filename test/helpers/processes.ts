import { readFileSync } from 'node:fs';
import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { freePort } from './ports.js';

export const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));

export interface Spawned {
  readonly child: ChildProcess;
  /** Every stdout and stderr line so far. */
  readonly lines: string[];
  /** Resolves with the exit code (or signal name) when the process ends. */
  readonly exited: Promise<number | string>;
  stop(signal?: NodeJS.Signals): Promise<number | string>;
}

/**
 * Spawns a node script from the repository root with extra environment, capturing its output.
 * It leads a process group of its own, so `stop('SIGKILL')` takes down everything it started
 * (the runner's services) instead of leaving them orphaned and running.
 */
export function spawnNode(script: string, args: string[], env: Record<string, string>): Spawned {
  const child = spawn(process.execPath, [script, ...args], {
    cwd: REPO_ROOT,
    // And it stops with this test process, however that ends (a killed test run leaves nothing).
    env: { ...process.env, VOXBUS_EXIT_WITH_PID: String(process.pid), ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  const lines: string[] = [];
  const collect = (stream: NodeJS.ReadableStream | null) => {
    let rest = '';
    stream?.on('data', (chunk: Buffer) => {
      const parts = (rest + chunk.toString()).split('\n');
      rest = parts.pop() ?? '';
      lines.push(...parts);
    });
  };
  collect(child.stdout);
  collect(child.stderr);
  const exited = new Promise<number | string>((resolve) => child.once('exit', (code, signal) => resolve(code ?? signal ?? 'unknown')));
  return {
    child,
    lines,
    exited,
    async stop(signal = 'SIGTERM') {
      const running = child.exitCode === null && child.signalCode === null;
      if (running) child.kill(signal);
      // SIGKILL cannot be passed on: kill the whole group, whatever is left of it.
      if (signal === 'SIGKILL' && child.pid !== undefined) {
        try {
          process.kill(-child.pid, 'SIGKILL');
        } catch {
          // the group is already gone
        }
      }
      return exited;
    },
  };
}

export interface StackPorts {
  readonly tcpPort: number;
  readonly wsPort: number;
  readonly url: string;
  readonly env: Record<string, string>;
}

/** Free ports and the environment that points the broker and every service at them. */
export async function stackPorts(): Promise<StackPorts> {
  const tcpPort = await freePort();
  const wsPort = await freePort();
  const url = `mqtt://127.0.0.1:${tcpPort}`;
  return {
    tcpPort,
    wsPort,
    url,
    env: {
      VOXBUS_BROKER__TCP_PORT: String(tcpPort),
      VOXBUS_BROKER__WS_PORT: String(wsPort),
      VOXBUS_BUS__URL: url,
      VOXBUS_METRICS_INTERVAL_MS: '500',
      VOXBUS_RUNNER_RESTART_DELAY_MS: '200',
    },
  };
}

/** The run command (`npm start`) limited to `only`, with the test fixtures' services added. */
export function startRunner(only: string[], env: Record<string, string>): Spawned {
  return spawnNode('deploy/runner/dist/main.js', ['--dir', 'services', '--dir', 'test/fixtures/services', '--only', only.join(',')], env);
}

/** Whether a process exists. */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** The processes of `pids` still there, each with its command line, for a failure message. */
export function stillRunning(pids: readonly number[]): string[] {
  return pids.filter(isAlive).map((pid) => {
    try {
      return `${pid} ${readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ').trim()}`;
    } catch {
      return String(pid);
    }
  });
}
