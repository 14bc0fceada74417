import type { ChildProcess } from 'node:child_process';
import { encodeAudioFrame } from '@voxbus/shared';
import mqtt from 'mqtt';
import { WebSocketServer } from 'ws';
import { cpuTimeMs, freePort, startService } from '../lib/processes.js';
import { percentiles } from '../lib/stats.js';

const RATE_HZ = 24_000;
const FRAME_MS = 20;
const FRAME_BYTES = (RATE_HZ * FRAME_MS * 2) / 1000;

export interface AppendCost {
  readonly appendBatchMs: number;
  readonly seconds: number;
  readonly appendsPerSecond: number;
  /** The gateway's CPU (user + system) while the microphone streamed, % of one core. */
  readonly gatewayCpuPercent: number;
  /** Published on audio/input → the append holding its last sample received by the service, ms. */
  readonly frameWaitP50Ms: number;
  readonly frameWaitP99Ms: number;
  readonly framesSent: number;
  readonly bytesReceived: number;
}

/**
 * What batching the microphone's audio into `input_audio_buffer.append` events costs and saves:
 * the gateway (its own process, as the run command starts it) gets 20 ms model-ready frames on
 * audio/input at real-time pace for `seconds`, while this process plays the realtime service and
 * counts the appends. Smaller batches leave sooner and cost more events; this says how much.
 */
export async function appendCost(brokerUrl: string, appendBatchMs: number, seconds: number): Promise<AppendCost> {
  const port = await freePort();
  const server = new WebSocketServer({ host: '127.0.0.1', port });
  await new Promise((resolve) => server.once('listening', resolve));
  let sessionReady: (configured: boolean) => void = () => {};
  const ready = new Promise<boolean>((resolve) => {
    sessionReady = resolve;
  });
  // Cumulative audio bytes received, and when each append arrived.
  const arrivals: { endByte: number; atMs: number }[] = [];
  let bytesReceived = 0;
  server.on('connection', (socket) => {
    socket.on('message', (data) => {
      const event = JSON.parse(data.toString()) as { type: string; audio?: string };
      if (event.type === 'session.update') sessionReady(true);
      if (event.type === 'input_audio_buffer.append' && event.audio !== undefined) {
        bytesReceived += Buffer.byteLength(event.audio, 'base64');
        arrivals.push({ endByte: bytesReceived, atMs: performance.now() });
      }
    });
    socket.send(JSON.stringify({ type: 'session.created', event_id: 'event_bench', session: { type: 'realtime', id: 'sess_bench', object: 'realtime.session', model: 'gpt-realtime' } }));
  });
  const gateway: ChildProcess = startService('realtime-gateway', {
    VOXBUS_BUS__URL: brokerUrl,
    VOXBUS_REALTIME_GATEWAY__PROVIDER: 'sim',
    VOXBUS_REALTIME_GATEWAY__SIM_URL: `ws://127.0.0.1:${port}`,
    VOXBUS_REALTIME_GATEWAY__APPEND_BATCH_MS: String(appendBatchMs),
  });
  const client = await mqtt.connectAsync(brokerUrl, { protocolVersion: 4 });
  try {
    const timeout = setTimeout(() => sessionReady(false), 30_000);
    const configured = await ready;
    clearTimeout(timeout);
    if (!configured || gateway.pid === undefined) throw new Error(`bench:gateway: the gateway (appendBatchMs ${appendBatchMs}) sent no session.update within 30 s`);
    // Let the gateway settle after its start (its first session's compile and connect).
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const pcm = Buffer.alloc(FRAME_BYTES);
    for (let i = 0; i < pcm.length; i += 2) pcm.writeInt16LE(Math.round(3000 * Math.sin((2 * Math.PI * 220 * i) / 2 / RATE_HZ)), i);
    const frames = (seconds * 1000) / FRAME_MS;
    const sentAtMs: number[] = [];
    const cpuBefore = cpuTimeMs(gateway.pid);
    const startMs = performance.now();
    for (let sequence = 0; sequence < frames; sequence++) {
      // On a fixed schedule (no drift), as a capture device hands audio over.
      const dueMs = startMs + sequence * FRAME_MS;
      const waitMs = dueMs - performance.now();
      if (waitMs > 0) await new Promise((resolve) => setTimeout(resolve, waitMs));
      sentAtMs.push(performance.now());
      client.publish('voxbus/audio/input', encodeAudioFrame({ sampleRateHz: RATE_HZ, channels: 1, sampleFormat: 's16le', sequence, captureTimeUs: Math.round(performance.timeOrigin * 1000 + performance.now() * 1000), pcm }), { qos: 0 });
    }
    // The last batch may wait for more audio that never comes: count what arrived a batch after.
    await new Promise((resolve) => setTimeout(resolve, appendBatchMs + 200));
    const elapsedMs = performance.now() - startMs;
    const cpuMs = cpuTimeMs(gateway.pid) - cpuBefore;
    const waits: number[] = [];
    let next = 0;
    for (let i = 0; i < sentAtMs.length; i++) {
      const endByte = (i + 1) * FRAME_BYTES;
      while (next < arrivals.length && (arrivals[next] as { endByte: number }).endByte < endByte) next++;
      const arrival = arrivals[next];
      if (arrival !== undefined) waits.push(arrival.atMs - (sentAtMs[i] as number));
    }
    const [p50, p99] = percentiles(waits, [50, 99]);
    const round1 = (value: number) => Math.round(value * 10) / 10;
    return {
      appendBatchMs,
      seconds,
      appendsPerSecond: round1((arrivals.length * 1000) / elapsedMs),
      gatewayCpuPercent: round1((cpuMs * 100) / elapsedMs),
      frameWaitP50Ms: round1(p50 ?? Number.NaN),
      frameWaitP99Ms: round1(p99 ?? Number.NaN),
      framesSent: frames,
      bytesReceived,
    };
  } finally {
    await client.endAsync();
    await new Promise<void>((resolve) => {
      if (gateway.exitCode !== null) resolve();
      gateway.once('exit', () => resolve());
      gateway.kill('SIGTERM');
    });
    server.close();
  }
}
