#!/usr/bin/env node
import { availableParallelism } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { discoverServices, selectServices } from './discover.js';
import { BROKER_SERVICE, mosquittoCommand } from './mosquitto.js';
import { parseReplacements, replacementCommand } from './replacements.js';
import { SIMULATOR, simulatorNeeded } from './simulator-needed.js';
import type { SupervisedCommand } from './supervisor.js';

/**
 * `deploy/run.sh` (and `npm start`): runs the broker and every service present, each its own
 * OS process, or with `--all-in-one` (VOXBUS_MODE=all-in-one) all of them inside this one; with
 * `--broker mosquitto` (VOXBUS_BROKER) Mosquitto instead of the broker service.
 *
 *   node deploy/runner/dist/main.js [--dir <services folder>]… [--only broker,dsp] [--all-in-one] [--broker mosquitto]
 *                                   [--replace playback='python3 my-playback.py']…
 *
 * `--replace` (or VOXBUS_REPLACE_PLAYBACK=…) runs a command line of the user's in a service's
 * place: a service in any language, restarted and stopped like the others.
 */
const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const { values } = parseArgs({
  options: {
    dir: { type: 'string', multiple: true },
    only: { type: 'string' },
    'restart-delay-ms': { type: 'string' },
    'all-in-one': { type: 'boolean' },
    broker: { type: 'string' },
    replace: { type: 'string', multiple: true },
  },
});
const dirs = values.dir ?? [join(repoRoot, 'services')];
// An empty list names none (compose passes VOXBUS_SERVICES="" when .env leaves it unset).
const named = (values.only ?? process.env.VOXBUS_SERVICES)?.split(',').map((name) => name.trim()).filter(Boolean);
const only = named !== undefined && named.length > 0 ? named : undefined;
const restartDelayMs = Number(values['restart-delay-ms'] ?? process.env.VOXBUS_RUNNER_RESTART_DELAY_MS ?? 1000);
/** A service not connected by then (no broker yet, a device that takes long) holds the next ones back no longer. */
const READY_TIMEOUT_MS = 5000;
// Services starting at once in multi-process mode (multi-process.ts says why): one per core by default.
const startingAtOnce = Number(process.env.VOXBUS_RUNNER_STARTING_AT_ONCE ?? availableParallelism());
if (!Number.isInteger(startingAtOnce) || startingAtOnce < 1) {
  console.error(`[runner] VOXBUS_RUNNER_STARTING_AT_ONCE=${process.env.VOXBUS_RUNNER_STARTING_AT_ONCE}: a whole number of services, 1 or more`);
  process.exit(2);
}
const mode = values['all-in-one'] === true ? 'all-in-one' : (process.env.VOXBUS_MODE ?? 'multi-process');
if (mode !== 'all-in-one' && mode !== 'multi-process') {
  console.error(`[runner] VOXBUS_MODE=${mode}: the modes are multi-process (the default) and all-in-one`);
  process.exit(2);
}

const broker = values.broker ?? process.env.VOXBUS_BROKER ?? 'aedes';
if (broker !== 'aedes' && broker !== 'mosquitto') {
  console.error(`[runner] VOXBUS_BROKER=${broker}: the brokers are aedes (the default, the broker service) and mosquitto`);
  process.exit(2);
}

const found = discoverServices(dirs);
// Unless services are named, the simulator runs only when the gateway will talk to it.
const withoutSimulator = only === undefined && !simulatorNeeded(process.env);
const chosen = selectServices(withoutSimulator ? found.services.filter((service) => service.name !== SIMULATOR) : found.services, only, process.env);
for (const problem of [...found.problems, ...chosen.problems]) console.error(`[runner] ${problem}`);
if (chosen.problems.length > 0 || chosen.selected.length === 0) {
  console.error('[runner] nothing to run');
  process.exit(2);
}
// Mosquitto stands in for the broker service where that was to run.
const withMosquitto = broker === 'mosquitto' && chosen.selected.some((service) => service.name === BROKER_SERVICE);
const services = withMosquitto ? chosen.selected.filter((service) => service.name !== BROKER_SERVICE) : chosen.selected;
let extra: SupervisedCommand[] = [];
try {
  if (withMosquitto) extra = [mosquittoCommand(repoRoot, process.env.VOXBUS_BUS__URL ?? 'mqtt://127.0.0.1:1883', process.env)];
} catch (error) {
  console.error(`[runner] ${(error as Error).message}`);
  process.exit(2);
}
const replacements = parseReplacements(values.replace ?? [], process.env, found.services.map((service) => service.name));
if (replacements.problems.length > 0) {
  for (const problem of replacements.problems) console.error(`[runner] ${problem}`);
  process.exit(2);
}
for (const service of services.filter((entry) => replacements.commands.has(entry.name))) {
  const commandLine = replacements.commands.get(service.name) as string;
  console.error(`[runner] ${service.name} is replaced by: ${commandLine}`);
  extra.push(replacementCommand(service.name, commandLine, { ...process.env, VOXBUS_EXIT_WITH_PID: String(process.pid) }));
}
const ours = services.filter((service) => !replacements.commands.has(service.name));
const names = extra.map((command) => command.name).concat(ours.map((service) => service.name));
console.error(`[runner] starting ${names.join(', ')}${withoutSimulator ? ` (not ${SIMULATOR}: the gateway has a model)` : ''}`);

if (mode === 'all-in-one') {
  const { runAllInOne } = await import('./all-in-one.js');
  await runAllInOne(ours, repoRoot, extra);
} else {
  const { runMultiProcess } = await import('./multi-process.js');
  await runMultiProcess(ours, repoRoot, restartDelayMs, extra, { startingAtOnce, readyTimeoutMs: READY_TIMEOUT_MS });
}
