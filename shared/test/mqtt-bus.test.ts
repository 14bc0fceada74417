import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { cleanupAfterEach } from '../../test/helpers/cleanup.js';
import { type AudioFrame, encodeAudioFrame, MqttBus, type MqttBusOptions } from '@voxbus/shared';
import { startAedes, startMosquitto, type TestBroker } from '../../test/helpers/brokers.js';
import { captureLog } from '../../test/helpers/log-capture.js';
import { freePort } from '../../test/helpers/ports.js';
import { Probe } from '../../test/helpers/probe.js';
import { waitFor } from '../../test/helpers/wait.js';

interface Status {
  status: string;
  reason: string;
  pid: number;
}

const identity = { service: 'dsp', version: '9.9.9', startedAt: '2026-11-21T12:00:00.000Z', pid: 4242, host: 'board' };
const frame = (sequence: number): AudioFrame => ({
  sampleRateHz: 24_000,
  channels: 1,
  sampleFormat: 's16le',
  sequence,
  captureTimeUs: sequence,
  pcm: new Uint8Array(960),
});

const onCleanup = cleanupAfterEach();

function makeBus(url: string, extra: Partial<MqttBusOptions> = {}): MqttBus {
  const bus = new MqttBus({
    url,
    baseTopic: 'voxbus',
    clientId: `test-${randomBytes(3).toString('hex')}`,
    log: extra.log ?? captureLog().log,
    keepaliveS: 2,
    reconnectPeriodMs: 100,
    ...extra,
  });
  onCleanup(() => bus.close(500));
  return bus;
}

async function probe(url: string, filter: string): Promise<Probe> {
  const p = await Probe.connect(url);
  onCleanup(() => p.close());
  await p.subscribe(filter);
  return p;
}

const brokers: [string, (port?: number) => Promise<TestBroker>][] = [
  ['aedes', async (port) => startAedes(port === undefined ? {} : { tcpPort: port })],
  ['mosquitto', startMosquitto],
];

describe.each(brokers)('MqttBus against %s', (_, startBroker) => {
  async function broker(port?: number): Promise<TestBroker> {
    const started = await startBroker(port);
    onCleanup(() => started.stop());
    return started;
  }

  it('publishes a retained online status, the Last Will on an abrupt loss, offline "stopped" on close', async () => {
    const { url } = await broker();
    const bus = makeBus(url, { status: identity });
    bus.connect();
    await bus.waitConnected(5000);
    const watcher = await probe(url, 'voxbus/+/status');
    const online = await watcher.waitForJson<Status>('voxbus/dsp/status', (s) => s.status === 'online');
    expect(online).toMatchObject({ reason: 'running', pid: 4242 });
    expect(watcher.on('voxbus/dsp/status')[0]?.retained).toBe(true);

    // Cut the socket without a DISCONNECT, as a crash would: the broker publishes the will.
    const seen = watcher.messages.length;
    bus['client']?.stream.destroy();
    await watcher.waitForJson<Status>('voxbus/dsp/status', (s) => s.status === 'offline' && s.reason === 'connection_lost', 5000, seen);
    // The bus reconnects by itself and says so.
    await watcher.waitForJson<Status>('voxbus/dsp/status', (s) => s.status === 'online', 5000, seen);
    await waitFor('reconnected', () => bus.connected);
    expect(bus.counters().reconnects).toBeGreaterThanOrEqual(1);

    const beforeClose = watcher.messages.length;
    await bus.close();
    await watcher.waitForJson<Status>('voxbus/dsp/status', (s) => s.status === 'offline' && s.reason === 'stopped', 5000, beforeClose);
  });

  it('drops and counts malformed messages from another client and keeps delivering good ones', async () => {
    const { url } = await broker();
    const { log, lines } = captureLog();
    const bus = makeBus(url, { log });
    const received: number[] = [];
    bus.subscribe('dsp', 'audio.mic', {}, ({ payload }) => void received.push(payload.sequence));
    bus.connect();
    await bus.waitConnected(5000);
    const sender = await probe(url, 'unused/#');
    await waitFor('subscription active', async () => {
      await sender.publish('voxbus/audio/mic', encodeAudioFrame(frame(0)));
      return received.length > 0;
    });
    await sender.publish('voxbus/audio/mic', Buffer.from('{"json":"where audio belongs"}'));
    await sender.publish('voxbus/audio/mic', encodeAudioFrame(frame(1)).subarray(0, 40));
    await sender.publish('voxbus/audio/mic', encodeAudioFrame(frame(2)));
    await waitFor('the good frame', () => received.includes(2));
    expect(bus.counters().invalidReceived['audio.mic']).toBe(2);
    expect(lines.filter((line) => line.msg === 'invalid message dropped')[0]).toMatchObject({ topic: 'voxbus/audio/mic' });
  });

  it('keeps JSON published while disconnected and sends it on connect, but drops late audio', async () => {
    const { url } = await broker();
    const watcher = await probe(url, 'voxbus/#');
    const bus = makeBus(url);
    const response = { requestId: 'r1', ok: false as const, error: { code: 'x', message: 'queued while offline' } };
    expect(bus.publish('service.describe.res', { service: 'dsp' }, response)).toBe(true);
    expect(bus.publish('audio.input', {}, frame(1))).toBe(false);
    expect(bus.counters().droppedOutgoing).toEqual({ 'audio.input': 1 });
    bus.connect();
    expect(await watcher.waitForJson('voxbus/dsp/res/describe', () => true)).toEqual(response);
    expect(watcher.on('voxbus/audio/input')).toHaveLength(0);
  });

  it('connects to a broker that comes up after it without waiting out its reconnect period, then keeps that period', async () => {
    const port = await freePort();
    const bus = makeBus(`mqtt://127.0.0.1:${port}`, { reconnectPeriodMs: 30_000 });
    bus.connect();
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(bus.connected).toBe(false);
    await broker(port);
    // Tried again every 100 ms at first (services start beside the broker): not 30 s later.
    await bus.waitConnected(5000);
    expect(bus['client']?.options.reconnectPeriod).toBe(30_000);
  });

  it('re-publishes its retained status after the broker restarts and forgets it', async () => {
    const port = await freePort();
    const first = await startBroker(port);
    const bus = makeBus(`mqtt://127.0.0.1:${port}`, { status: identity });
    bus.connect();
    await bus.waitConnected(5000);
    await first.stop();
    await waitFor('disconnect noticed', () => !bus.connected);
    await broker(port);
    await waitFor('reconnected', () => bus.connected, 10_000);
    const watcher = await probe(`mqtt://127.0.0.1:${port}`, 'voxbus/+/status');
    const status = await watcher.waitForJson<Status>('voxbus/dsp/status', () => true);
    expect(status.status).toBe('online');
  });
});

describe('MqttBus over WebSocket', () => {
  it('talks to the broker through MQTT over WebSocket', async () => {
    const aedes = await startAedes();
    onCleanup(() => aedes.stop());
    const bus = makeBus(aedes.wsUrl, { status: identity });
    bus.connect();
    await bus.waitConnected(5000);
    const watcher = await probe(aedes.url, 'voxbus/+/status');
    expect(await watcher.waitForJson<Status>('voxbus/dsp/status', () => true)).toMatchObject({ status: 'online' });
  });
});
