import { join } from 'node:path';
import { serviceNodeOptions } from '@voxbus/shared';
import type { ServiceEntry } from './discover.js';

/** Longer than a service's own stop timeout (5 s by default), so a clean stop is never cut short. */
const FORCE_EXIT_AFTER_MS = 10_000;

/**
 * Every service its own OS process, with prefixed logs (concurrently), restarts of a process
 * that dies (`restartDelayMs` apart, without limit), and a clean stop of all of them on Ctrl-C
 * or SIGTERM.
 */
export async function runMultiProcess(services: readonly ServiceEntry[], repoRoot: string, restartDelayMs: number): Promise<void> {
  // Loaded here, not at the top: all-in-one mode has no use for it.
  const { concurrently } = await import('concurrently');
  /** Wraps each service: see run-service.sh (graceful stops, no restart after a configuration error). */
  const runServiceScript = join(repoRoot, 'deploy', 'runner', 'run-service.sh');
  const commandFor = (service: ServiceEntry): string => `exec sh ${JSON.stringify(runServiceScript)} ${service.name} ${JSON.stringify(service.main)}`;

  const { result, commands } = concurrently(
    services.map((service) => ({ name: service.name, command: commandFor(service), env: { NODE_OPTIONS: serviceNodeOptions(process.env.NODE_OPTIONS) } })),
    {
      prefix: 'name',
      prefixColors: ['cyan', 'green', 'yellow', 'magenta', 'blue', 'white', 'gray', 'red'],
      restartTries: -1,
      restartDelay: restartDelayMs,
      killSignal: 'SIGTERM',
      handleInput: false,
    },
  );

  // concurrently forwards SIGINT/SIGTERM to every service; this is only the backstop for a service
  // that does not stop, or that fails while stopping and would otherwise be restarted.
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.once(signal, () => {
      setTimeout(() => {
        console.error(`[runner] services still running ${FORCE_EXIT_AFTER_MS} ms after ${signal}: killing them`);
        for (const command of commands) if (command.pid && !command.exited) command.kill('SIGKILL');
        process.exit(1);
      }, FORCE_EXIT_AFTER_MS).unref();
    });
  }

  // exitCode, not exit(): the last lines the services wrote may still be in their pipes.
  await result.then(
    () => {
      process.exitCode = 0;
    },
    (events: { command: { name: string }; exitCode: number | string }[]) => {
      const failed = events.filter((event) => event.exitCode !== 0).map((event) => `${event.command.name} (${event.exitCode})`);
      console.error(`[runner] stopped; not clean: ${failed.join(', ') || 'none'}`);
      process.exitCode = 1;
    },
  );
}
