import { join } from 'node:path';
import { EXIT_WITH_PID_ENV, exitWithPid, READY_FD_ENV, serviceEnv, watchParent } from '@voxbus/shared/process';
import type { ServiceEntry } from './discover.js';
import { type StartPolicy, type SupervisedCommand, Supervisor } from './supervisor.js';

/** Longer than a service's own stop timeout (5 s by default), so a clean stop is never cut short. */
const FORCE_EXIT_AFTER_MS = 10_000;

/**
 * Every service its own OS process (and any `extra` command: Mosquitto), with prefixed logs,
 * restarts of a process that fails (`restartDelayMs` apart, without limit), and a clean stop of
 * all of them on Ctrl-C or SIGTERM.
 *
 * `startPolicy`: how many services start at once. Seven Node processes starting together on two
 * cores each came online 2.3-2.7 s after its start (the broker's start among them); one alone,
 * 0.3-0.6 s (bench:footprint). So the broker starts first, alone, and the others a few at a time,
 * each the moment an earlier one is connected (it says so on file descriptor 3).
 */
export async function runMultiProcess(
  services: readonly ServiceEntry[],
  repoRoot: string,
  restartDelayMs: number,
  extra: readonly SupervisedCommand[] = [],
  startPolicy?: StartPolicy,
): Promise<void> {
  /** Wraps each service: see run-service.sh (graceful stops, no restart after a configuration error). */
  const runServiceScript = join(repoRoot, 'deploy', 'runner', 'run-service.sh');
  // Each service stops when this runner is gone, however it went (kill -9 included).
  const env = { ...process.env, ...serviceEnv(process.env), [EXIT_WITH_PID_ENV]: String(process.pid) };
  const supervisor = new Supervisor(
    [
      ...extra,
      ...services.map((service) => ({
        name: service.name,
        file: 'sh',
        args: [runServiceScript, service.name, service.main],
        env: { ...env, [READY_FD_ENV]: '3' },
        readyFd: true,
        // The broker (start order 0): every other service waits for it anyway.
        startAlone: service.startOrder === 0,
      })),
    ],
    restartDelayMs,
    undefined,
    startPolicy,
  );

  const stopAll = (why: string) => {
    // Every service stops on SIGTERM (a terminal's Ctrl-C reaches them too: they take it as one).
    supervisor.stop('SIGTERM');
    // The backstop for a service that does not stop.
    setTimeout(() => {
      console.error(`[runner] services still running ${FORCE_EXIT_AFTER_MS} ms after ${why}: killing them`);
      supervisor.killAll();
      process.exit(1);
    }, FORCE_EXIT_AFTER_MS).unref();
  };
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(signal, () => stopAll(signal));
  // Started by a test or a script that says so: stop with it.
  const parent = exitWithPid();
  if (parent !== undefined) watchParent(parent, () => stopAll(`the process that started the runner (pid ${parent}) ended`));

  const exits = await supervisor.run();
  const failed = exits.filter((exit) => exit.exitCode !== 0).map((exit) => `${exit.name} (${exit.exitCode})`);
  if (failed.length > 0) console.error(`[runner] stopped; not clean: ${failed.join(', ')}`);
  // exitCode, not exit(): the last lines written may still be on their way out.
  process.exitCode = failed.length > 0 ? 1 : 0;
}
