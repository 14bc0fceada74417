import '../lib/no-leftovers.js';
import type { ChildProcess } from 'node:child_process';
import { WebSocketServer } from 'ws';
import { freePort, startAedesService, startService } from '../lib/processes.js';
import { type AppendCost, appendCost } from './append-cost.js';
import { writeResults } from '../lib/results.js';
import { percentiles } from '../lib/stats.js';

/**
 * `npm run bench:gateway`: how soon the realtime-gateway configures a new session. This process
 * plays the realtime service (OpenAI GA on a WebSocket): on each connection it sends
 * `session.created` and times the gateway's `session.update`, then drops the socket so the
 * gateway connects again. The gateway runs as its own process, as the run command starts it,
 * restarted `STARTS` times: its first session after a start is when anything compiled or loaded
 * lazily costs (the schema validators cost 0.3 s here before they were compiled at build time).
 * Then what batching the microphone's audio costs: appendCost() for each batch size.
 */
const STARTS = Number(process.env.BENCH_GATEWAY_STARTS ?? 10);
const SESSIONS_PER_START = Number(process.env.BENCH_GATEWAY_SESSIONS ?? 5);
const APPEND_BATCHES_MS = [20, 40, 100];
const APPEND_SECONDS = Number(process.env.BENCH_GATEWAY_APPEND_SECONDS ?? 30);

const broker = await startAedesService();
const port = await freePort();
const server = new WebSocketServer({ host: '127.0.0.1', port });
await new Promise((resolve) => server.once('listening', resolve));

let onSessionUpdate: ((ms: number) => void) | undefined;
server.on('connection', (socket) => {
  const createdAt = performance.now();
  socket.on('message', (data) => {
    const event = JSON.parse(data.toString()) as { type: string };
    if (event.type !== 'session.update') return;
    onSessionUpdate?.(performance.now() - createdAt);
    socket.close(1000, 'bench: next session');
  });
  socket.send(JSON.stringify({
    type: 'session.created',
    event_id: `event_${Math.random().toString(36).slice(2)}`,
    session: { type: 'realtime', id: `sess_${Math.random().toString(36).slice(2)}`, object: 'realtime.session', model: 'gpt-realtime' },
  }));
});

const first: number[] = [];
const later: number[] = [];
const appends: AppendCost[] = [];
try {
  for (let start = 0; start < STARTS; start++) {
    const times: number[] = [];
    const done = new Promise<void>((resolve) => {
      onSessionUpdate = (ms) => {
        times.push(ms);
        if (times.length === SESSIONS_PER_START) resolve();
      };
    });
    const gateway: ChildProcess = startService('realtime-gateway', {
      VOXBUS_BUS__URL: broker.url,
      VOXBUS_REALTIME_GATEWAY__PROVIDER: 'sim',
      VOXBUS_REALTIME_GATEWAY__SIM_URL: `ws://127.0.0.1:${port}`,
      VOXBUS_REALTIME_GATEWAY__RECONNECT_INITIAL_MS: '50',
      VOXBUS_REALTIME_GATEWAY__RECONNECT_MAX_MS: '100',
    });
    const timeout = setTimeout(() => {
      console.error(`bench:gateway: start ${start + 1} gave ${times.length} of ${SESSIONS_PER_START} session.update in 30 s`);
      process.exit(1);
    }, 30_000);
    await done;
    clearTimeout(timeout);
    first.push(times[0] as number);
    later.push(...times.slice(1));
    await new Promise<void>((resolve) => {
      gateway.once('exit', () => resolve());
      gateway.kill('SIGTERM');
    });
  }
  for (const batchMs of APPEND_BATCHES_MS) appends.push(await appendCost(broker.url, batchMs, APPEND_SECONDS));
} finally {
  server.close();
  await broker.stop();
}

const round = (ms: number) => Math.round(ms * 10) / 10;
const summary = (values: number[]) => {
  const [p50, p90, max] = percentiles(values, [50, 90, 100]).map(round);
  return { count: values.length, p50Ms: p50, p90Ms: p90, maxMs: max };
};
const results = {
  description: 'realtime-gateway: session.created sent → its session.update received (ms), the gateway as its own process against a stand-in service on loopback',
  firstSessionAfterStart: summary(first),
  laterSessions: summary(later),
  appendBatching: {
    description: `20 ms frames on audio/input at real-time pace for ${APPEND_SECONDS} s into the gateway (its own process); appends counted by the stand-in service; the wait is a frame published → the append holding its last sample received`,
    runs: appends,
  },
};
console.log('session.created → session.update   count   p50 ms   p90 ms   max ms');
for (const [name, row] of [['first after a start', results.firstSessionAfterStart], ['later sessions', results.laterSessions]] as const) {
  console.log(`${name.padEnd(34)} ${String(row.count).padStart(5)} ${String(row.p50Ms).padStart(8)} ${String(row.p90Ms).padStart(8)} ${String(row.maxMs).padStart(8)}`);
}
console.log('\nappendBatchMs   appends/s   gateway CPU %   frame wait p50 / p99 ms');
for (const run of appends) {
  console.log(`${String(run.appendBatchMs).padStart(13)} ${String(run.appendsPerSecond).padStart(11)} ${String(run.gatewayCpuPercent).padStart(15)}   ${run.frameWaitP50Ms} / ${run.frameWaitP99Ms}`);
}
console.log(`written: ${writeResults('gateway', results)}`);
