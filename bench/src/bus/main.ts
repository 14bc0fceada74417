import '../lib/no-leftovers.js';
import { join } from 'node:path';
import mqtt from 'mqtt';
import type { TopicKey } from '@voxbus/shared';
import { type BrokerProcess, cpuTimeMs, forkWorker, freePort, memoryOf, startAedesService, startMosquitto, type Worker } from '../lib/processes.js';
import { BENCH_ROOT, writeResults } from '../lib/results.js';
import { percentiles, round3 } from '../lib/stats.js';

/**
 * npm run bench:bus — one bus hop and a three-hop chain (mic → dsp → gateway → playback, each
 * a separate process using MqttBus as the services do) for 20 ms frames of 24 kHz mono s16 at
 * 50 frames/s, through the voxbus broker (Aedes, its own process) and through Mosquitto.
 * Latency per frame = monotonic receive time − the frame's capture timestamp (one clock for
 * every process on the host). BENCH_BUS_SECONDS sets the measured duration (default 30 s).
 */
const SECONDS = Number(process.env.BENCH_BUS_SECONDS ?? 30);
const FRAMES_PER_SECOND = 50;
/** The first second of paced frames is not measured: subscriptions settle. */
const WARMUP_FRAMES = 50;
/**
 * Before that, this many unmeasured frames at 1 frame/ms warm V8 up, as a running board's three
 * or four audio streams do within seconds. BENCH_BUS_JIT_WARMUP_FRAMES=0 measures a cold start.
 */
const JIT_WARMUP_FRAMES = Number(process.env.BENCH_BUS_JIT_WARMUP_FRAMES ?? 3000);
const WORKER = join(BENCH_ROOT, 'dist', 'bus', 'worker.js');
const FLOOR_WORKER = join(BENCH_ROOT, 'dist', 'bus', 'floor-worker.js');

const CHAINS: Record<number, TopicKey[]> = {
  1: ['audio.mic'],
  3: ['audio.mic', 'audio.input', 'audio.output'],
};

interface ChainResult {
  p50_ms: number;
  p99_ms: number;
  max_ms: number;
  mean_ms: number;
  frames: number;
  lost: number;
  brokerCpuPercent: number;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Runs a source/…/sink set of workers, already started, and turns the sink's record into figures. */
async function measure(workers: Worker[], cpuPid: number | undefined): Promise<ChainResult> {
  await Promise.all(workers.map((worker) => worker.next('connected')));
  await sleep(500);
  const source = workers[workers.length - 1] as Worker;
  const sink = workers[0] as Worker;
  const total = WARMUP_FRAMES + SECONDS * FRAMES_PER_SECOND;
  const cpuBefore = cpuPid === undefined ? 0 : cpuTimeMs(cpuPid);
  const startedMs = performance.now();
  source.send({ cmd: 'run', frames: total, warmupFrames: JIT_WARMUP_FRAMES });
  await source.next('done');
  const cpuMs = cpuPid === undefined ? 0 : cpuTimeMs(cpuPid) - cpuBefore;
  const elapsedMs = performance.now() - startedMs;
  await sleep(300);
  sink.send({ cmd: 'report' });
  const { latenciesUs } = (await sink.next('report')) as unknown as { latenciesUs: [number, number][] };
  for (const worker of workers) worker.send({ cmd: 'stop' });
  await Promise.all(workers.map((worker) => new Promise((resolve) => worker.child.once('exit', resolve))));

  const measured = latenciesUs.filter(([sequence]) => sequence >= WARMUP_FRAMES).map(([, us]) => us / 1000);
  const expected = total - WARMUP_FRAMES;
  const [p50, p99] = percentiles(measured, [50, 99]);
  return {
    p50_ms: round3(p50 as number),
    p99_ms: round3(p99 as number),
    max_ms: round3(Math.max(...measured)),
    mean_ms: round3(measured.reduce((a, b) => a + b, 0) / measured.length),
    frames: measured.length,
    lost: expected - new Set(latenciesUs.filter(([s]) => s >= WARMUP_FRAMES).map(([s]) => s)).size,
    brokerCpuPercent: round3((cpuMs / elapsedMs) * 100),
  };
}

function runChain(broker: BrokerProcess, hops: number): Promise<ChainResult> {
  const topics = CHAINS[hops] as TopicKey[];
  return measure(
    [
      forkWorker(WORKER, [broker.url, 'sink', topics[topics.length - 1] as string]),
      ...topics.slice(1).map((output, i) => forkWorker(WORKER, [broker.url, 'relay', topics[i] as string, output])),
      forkWorker(WORKER, [broker.url, 'source', topics[0] as string]),
    ],
    broker.pid,
  );
}

/** One hop's topology with a bare TCP relay in the broker's place: the machine's floor. */
async function runFloor(): Promise<ChainResult> {
  const sinkPort = await freePort();
  const relayPort = await freePort();
  const sink = forkWorker(FLOOR_WORKER, ['sink', String(sinkPort)]);
  await sink.next('connected');
  const relay = forkWorker(FLOOR_WORKER, ['relay', String(relayPort), String(sinkPort)]);
  await relay.next('connected');
  sink.send({ cmd: 'noop' });
  const source = forkWorker(FLOOR_WORKER, ['source', String(relayPort)]);
  // measure() waits for 'connected' from every worker; sink and relay already said it.
  const replay = (worker: Worker): Worker => ({ ...worker, next: (event) => (event === 'connected' ? Promise.resolve({}) : worker.next(event)) });
  return measure([replay(sink), replay(relay), source], relay.child.pid);
}

/**
 * Waits for the voxbus broker's first `broker/metrics` (metricsIntervalMs, 10 s after it starts).
 * Measured from a fresh broker, that one message fell inside the rows: compiling its validator
 * stalled routing for 16-21 ms, and its packets, parsed and written by the same mqtt-packet and
 * stream code as the audio, deoptimised that code, slower for the next ~20 s while V8 optimised it
 * again. A running board's broker is past that long before anyone speaks.
 */
async function firstMetrics(broker: BrokerProcess): Promise<void> {
  if (broker.name !== 'aedes') return;
  const client = await mqtt.connectAsync(broker.url, { protocolVersion: 4 });
  const heard = new Promise<void>((resolve) => client.once('message', () => resolve()));
  await client.subscribeAsync('voxbus/broker/metrics');
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([heard, new Promise<void>((resolve) => (timer = setTimeout(resolve, 30_000)))]);
  clearTimeout(timer);
  await client.endAsync();
}

process.stderr.write(`bench:bus floor (bare TCP relay, no MQTT), ${SECONDS} s…\n`);
const floor = await runFloor();
const results: Record<string, Record<string, ChainResult>> = {};
const memory: Record<string, { pssBytes: number | null; rssBytes: number | null }> = {};
for (const start of [startAedesService, startMosquitto]) {
  const broker = await start();
  await firstMetrics(broker);
  results[broker.name] = {};
  for (const hops of [1, 3]) {
    process.stderr.write(`bench:bus ${broker.name}, ${hops} hop(s), ${SECONDS} s…\n`);
    (results[broker.name] as Record<string, ChainResult>)[String(hops)] = await runChain(broker, hops);
  }
  memory[broker.name] = memoryOf(broker.pid);
  await broker.stop();
}

const rows = [{ broker: 'tcp floor', hops: '1', ...floor }, ...Object.entries(results).flatMap(([broker, byHops]) =>
  Object.entries(byHops).map(([hops, r]) => ({ broker, hops, ...r })),
)];
console.log(`\n20 ms frames, 24 kHz mono s16 (960 B PCM), ${FRAMES_PER_SECOND} frames/s, ${SECONDS} s measured per row after ${JIT_WARMUP_FRAMES} warm-up frames\n`);
console.log('broker      hops   p50 ms   p99 ms   max ms  mean ms  frames  lost  broker CPU %');
for (const r of rows) {
  console.log(
    `${r.broker.padEnd(11)} ${r.hops.padStart(4)} ${r.p50_ms.toFixed(3).padStart(8)} ${r.p99_ms.toFixed(3).padStart(8)} ${r.max_ms.toFixed(3).padStart(8)} ${r.mean_ms.toFixed(3).padStart(8)} ${String(r.frames).padStart(7)} ${String(r.lost).padStart(5)} ${r.brokerCpuPercent.toFixed(2).padStart(13)}`,
  );
}
for (const [name, m] of Object.entries(memory)) {
  console.log(`${name} broker memory after the run: PSS ${((m.pssBytes ?? 0) / 2 ** 20).toFixed(1)} MiB, RSS ${((m.rssBytes ?? 0) / 2 ** 20).toFixed(1)} MiB`);
}
const path = writeResults('bus', {
  frameMs: 20,
  sampleRateHz: 24_000,
  framesPerSecond: FRAMES_PER_SECOND,
  secondsPerRow: SECONDS,
  warmupFrames: WARMUP_FRAMES,
  jitWarmupFrames: JIT_WARMUP_FRAMES,
  warmup: `the voxbus broker past its first broker/metrics (10 s after its start); before each row ${JIT_WARMUP_FRAMES} unmeasured frames at 1000 frames/s (JIT warm-up), then ${WARMUP_FRAMES} unmeasured frames at 50/s, then the measured frames`,
  method: 'each hop a separate process using MqttBus (TCP_NODELAY, validation, codec); latency = sink monotonic time − frame captureTimeUs',
  results,
  floor: {
    description: 'one hop with a bare Node TCP relay (no MQTT) in the broker\'s place: process wake-ups and loopback sockets only',
    '1': floor,
  },
  brokerMemoryAfterRun: memory,
});
console.log(`\nwrote ${path}`);
