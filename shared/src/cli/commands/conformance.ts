import { parseArgs } from 'node:util';
import { Type } from '@sinclair/typebox';
import { CONFORMANCE_KITS, formatResult, type KitService, LAST_WILL, runConformance } from '../../conformance/index.js';
import { busPassword, loadConfig } from '../../runtime/config.js';
import { positiveMs, UsageError } from './options.js';

export const CONFORMANCE_USAGE = `  conformance <service> [--kill] [--only scenario,…] [--url mqtt://host:port] [--base-topic voxbus]
              [--start-timeout-ms 10000] [--metrics-timeout-ms N]
      drives a running service through the contract's rules over the bus and prints a
      PASS/FAIL line per rule with what was seen; exits 1 when a rule fails. Run the
      candidate alone on the bus (or under a base topic of its own): the kit stands in for
      the services it talks to.
      --kill: at the end, kill the service (SIGKILL, the pid in its status) to check its
      Last Will (the ${LAST_WILL} scenario); run the kit where the service runs, under
      something that restarts it.
      Services: ${Object.entries(CONFORMANCE_KITS)
        .map(([name, scenarios]) => `${name} (${scenarios.join(', ')})`)
        .join('; ')}`;

export async function conformance(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      only: { type: 'string' },
      kill: { type: 'boolean' },
      url: { type: 'string' },
      'base-topic': { type: 'string' },
      'start-timeout-ms': { type: 'string' },
      'metrics-timeout-ms': { type: 'string' },
    },
  });
  const service = positionals[0];
  if (positionals.length !== 1 || !service || !(service in CONFORMANCE_KITS)) {
    throw new UsageError(`voxbus conformance: name one service the kit knows: ${Object.keys(CONFORMANCE_KITS).join(', ')}`);
  }
  const { common } = loadConfig({ service: 'conformance', schema: Type.Object({}), defaults: {} });
  const url = values.url ?? common.bus.url;
  const baseTopic = values['base-topic'] ?? common.bus.baseTopic;
  console.log(`conformance of ${service} on ${url}, base topic ${baseTopic}`);
  const results = await runConformance({
    service: service as KitService,
    url,
    baseTopic,
    username: common.bus.username,
    password: busPassword(common.bus),
    only: values.only ? values.only.split(',').map((s) => s.trim()) : [],
    kill: values.kill === true,
    startTimeoutMs: positiveMs(values['start-timeout-ms'], 10_000, 'start-timeout-ms'),
    metricsTimeoutMs: positiveMs(values['metrics-timeout-ms'], common.metricsIntervalMs * 2 + 1000, 'metrics-timeout-ms'),
    onResult: (result) => console.log(formatResult(result)),
  });
  const failed = results.filter((r) => !r.ok);
  // Said, so that a pass without --kill is not taken for a check of the Last Will.
  const unchecked = values.kill || values.only ? '' : ` (status.last-will not checked: --kill checks it)`;
  console.log(
    failed.length === 0
      ? `${service}: all ${results.length} rules pass${unchecked}`
      : `${service}: ${failed.length} of ${results.length} rules FAIL: ${failed.map((r) => r.rule).join(', ')}${unchecked}`,
  );
  return failed.length === 0 ? 0 : 1;
}

