import { parseArgs } from 'node:util';
import type { Payload } from '../../bus/bus.js';
import { BUS_OPTIONS, CliBus } from '../cli-bus.js';
import { busErrors } from '../readable.js';
import { paintFor, table } from '../terminal.js';
import { positiveMs } from './options.js';

type Status = Payload<'service.status'>;
type Metrics = Payload<'service.metrics'>;

export interface ServiceRow {
  readonly service: string;
  readonly status: Status;
  readonly metrics: Metrics | undefined;
}

/**
 * `voxbus status`: a table of the services the bus knows (their retained status), with uptime,
 * PSS, CPU and error counters from each one's next metrics sample. Waits for every online
 * service's sample up to --wait-ms (default: the metrics period and a second), then prints what it
 * has. Exits 0 when every service is online, 1 when one is not, 2 when the bus knows none.
 */
export async function status(args: string[]): Promise<number> {
  const { values } = parseArgs({ args, options: { ...BUS_OPTIONS, 'wait-ms': { type: 'string' }, json: { type: 'boolean' } } });
  const bus = await CliBus.connect({ url: values.url, baseTopic: values['base-topic'] });
  try {
    const rows = await collect(bus, positiveMs(values['wait-ms'], 11_000, 'wait-ms'));
    if (rows.length === 0) {
      console.error(`voxbus status: no service has said its status on ${bus.url} under ${bus.baseTopic}/ (is the stack running, and the base topic right?)`);
      return 2;
    }
    if (values.json) console.log(JSON.stringify(rows, null, 2));
    else console.log(render(rows, paintFor(process.stdout)));
    return rows.every((row) => row.status.status === 'online') ? 0 : 1;
  } finally {
    await bus.close();
  }
}

/**
 * Retained statuses come right after the subscription, but interleaved with live metrics: a set
 * complete before they have all come (one service's status, then its metrics) is not the whole bus
 * (seen in CI: two services of nine printed with their figures). The broker is local, so they all
 * come within this much (ms).
 */
const RETAINED_SETTLE_MS = 300;

/** What collect needs of the bus (CliBus). */
export type StatusBus = Pick<CliBus, 'onMessage' | 'subscribe'>;

/** Every service's retained status, and each online one's next metrics sample (up to `waitMs`). */
export async function collect(bus: StatusBus, waitMs: number): Promise<ServiceRow[]> {
  const statuses = new Map<string, Status>();
  const metrics = new Map<string, Metrics>();
  let settled = false;
  let done: () => void = () => undefined;
  const complete = new Promise<void>((resolve) => {
    done = resolve;
  });
  const check = () => {
    const online = [...statuses.entries()].filter(([, s]) => s.status === 'online');
    if (settled && online.length > 0 && online.every(([service]) => metrics.has(service))) done();
  };
  bus.onMessage((message) => {
    const service = message.params.service;
    if (service === undefined || message.error !== undefined) return;
    if (message.key === 'service.status') statuses.set(service, message.payload as Status);
    if (message.key === 'service.metrics') metrics.set(service, message.payload as Metrics);
    check();
  });
  await bus.subscribe('+/status', '+/metrics');
  // The retained statuses come within RETAINED_SETTLE_MS; the metrics on each service's own period.
  const timers = [
    setTimeout(() => {
      settled = true;
      check();
    }, Math.min(RETAINED_SETTLE_MS, waitMs)),
    setTimeout(done, waitMs),
  ];
  await complete;
  for (const timer of timers) clearTimeout(timer);
  return [...statuses.keys()].sort().map((service) => ({ service, status: statuses.get(service) as Status, metrics: metrics.get(service) }));
}

const uptime = (ms: number) => {
  const s = Math.floor(ms / 1000);
  return s < 60 ? `${s} s` : s < 3600 ? `${Math.floor(s / 60)} min ${s % 60} s` : `${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} min`;
};

export function render(rows: readonly ServiceRow[], paint = paintFor(process.stdout)): string {
  const lines = rows.map(({ service, status: s, metrics: m }) => [
    service,
    s.status === 'online' ? paint.green('online') : paint.red(`offline (${s.reason})`),
    m ? uptime(m.uptimeMs) : '–',
    m?.process.pssBytes != null ? `${(m.process.pssBytes / 2 ** 20).toFixed(1)}` : '–',
    m && m.uptimeMs > 0 ? `${(((m.process.cpuUserUs + m.process.cpuSystemUs) / 1000 / m.uptimeMs) * 100).toFixed(1)}` : '–',
    m ? String(busErrors(m.bus)) : '–',
    `${s.pid}@${s.host}`,
  ]);
  return table([['service', 'status', 'uptime', 'PSS MiB', 'CPU %', 'errors', 'pid@host'], ...lines]);
}
