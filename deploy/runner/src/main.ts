#!/usr/bin/env node
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { concurrently } from 'concurrently';
import { discoverServices, selectServices } from './discover.js';
import { serviceNodeOptions } from '@voxbus/shared';

/**
 * `npm start`: runs the broker and every service present as separate OS processes, with
 * prefixed logs (concurrently), restarts of a process that dies (1 s apart, without limit),
 * and a clean stop of all of them on Ctrl-C or SIGTERM.
 *
 *   node deploy/runner/dist/main.js [--dir <services folder>]… [--only broker,dsp]
 */
const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const { values } = parseArgs({
  options: {
    dir: { type: 'string', multiple: true },
    only: { type: 'string' },
    'restart-delay-ms': { type: 'string' },
  },
});
const dirs = values.dir ?? [join(repoRoot, 'services')];
const only = (values.only ?? process.env.VOXBUS_SERVICES)?.split(',').map((name) => name.trim()).filter(Boolean);
const restartDelayMs = Number(values['restart-delay-ms'] ?? process.env.VOXBUS_RUNNER_RESTART_DELAY_MS ?? 1000);
/** Longer than a service's own stop timeout (5 s by default), so a clean stop is never cut short. */
const FORCE_EXIT_AFTER_MS = 10_000;

const found = discoverServices(dirs);
const chosen = selectServices(found.services, only);
for (const problem of [...found.problems, ...chosen.problems]) console.error(`[runner] ${problem}`);
if (chosen.problems.length > 0 || chosen.selected.length === 0) {
  console.error('[runner] nothing to run');
  process.exit(2);
}
console.error(`[runner] starting ${chosen.selected.map((service) => service.name).join(', ')}`);

/** Wraps each service: see run-service.sh (graceful stops, no restart after a configuration error). */
const RUN_SERVICE = join(repoRoot, 'deploy', 'runner', 'run-service.sh');
const commandFor = (service: { name: string; main: string }): string =>
  `exec sh ${JSON.stringify(RUN_SERVICE)} ${service.name} ${JSON.stringify(service.main)}`;

const { result, commands } = concurrently(
  chosen.selected.map((service) => ({ name: service.name, command: commandFor(service), env: { NODE_OPTIONS: serviceNodeOptions(process.env.NODE_OPTIONS) } })),
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
result.then(
  () => {
    process.exitCode = 0;
  },
  (events: { command: { name: string }; exitCode: number | string }[]) => {
    const failed = events.filter((event) => event.exitCode !== 0).map((event) => `${event.command.name} (${event.exitCode})`);
    console.error(`[runner] stopped; not clean: ${failed.join(', ') || 'none'}`);
    process.exitCode = 1;
  },
);
