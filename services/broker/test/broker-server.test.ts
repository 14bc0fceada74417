import { describe, expect, it } from 'vitest';
import { cleanupAfterEach } from '../../../test/helpers/cleanup.js';
import { connectOnce } from '../../../test/helpers/connect-once.js';
import type mqtt from 'mqtt';
import { ConfigError } from '@voxbus/shared';
import { join } from 'node:path';
import pino from 'pino';
import { accessModeFor, isLoopback } from '../src/auth.js';
import { makeCredentials } from '../src/credentials.js';
import { type AedesTestBroker, startAedes } from '../../../test/helpers/brokers.js';
import { Probe } from '../../../test/helpers/probe.js';
import { waitFor } from '../../../test/helpers/wait.js';
import { tempDir } from '../../../test/helpers/temp-dir.js';

const onCleanup = cleanupAfterEach();

async function aedes(...args: Parameters<typeof startAedes>): Promise<AedesTestBroker> {
  const broker = await startAedes(...args);
  onCleanup(() => broker.stop());
  return broker;
}

async function probe(url: string, options: mqtt.IClientOptions = {}): Promise<Probe> {
  const p = await Probe.connect(url, options);
  onCleanup(() => p.close());
  return p;
}

describe('broker auth policy', () => {
  it('knows loopback from the rest', () => {
    expect(['127.0.0.1', '127.0.1.1', '::1', 'localhost'].every(isLoopback)).toBe(true);
    expect(['0.0.0.0', '::', '192.168.1.20'].some(isLoopback)).toBe(false);
  });

  it('runs open or on one shared login on loopback, and beyond it only with the users file (access rules)', async () => {
    const log = pino({ level: 'silent' });
    expect(accessModeFor('127.0.0.1', undefined, { password: undefined }, log)).toEqual({ kind: 'open' });
    expect(accessModeFor('127.0.0.1', undefined, { username: 'voxbus', password: 's3cret' }, log)).toEqual({ kind: 'shared', credentials: { username: 'voxbus', password: 's3cret' } });
    expect(() => accessModeFor('127.0.0.1', undefined, { username: 'voxbus', password: undefined }, log)).toThrow(/both/);
    // A shared login on the LAN would let anyone who has it hear the microphone and speak as any service.
    expect(() => accessModeFor('0.0.0.0', undefined, { username: 'voxbus', password: 's3cret' }, log)).toThrow(ConfigError);
    expect(() => accessModeFor('0.0.0.0', undefined, { password: undefined }, log)).toThrow(/VOXBUS_BROKER__USERS_FILE/);
    const dir = tempDir('auth');
    await makeCredentials(dir, [{ username: 'broker', role: 'service' }]);
    expect(accessModeFor('0.0.0.0', join(dir, 'users.json'), { username: 'broker', password: 'x' }, log).kind).toBe('users');
    // Its own status reaches it in its process: no login of its own needed (the all-in-one container has none).
    expect(accessModeFor('0.0.0.0', join(dir, 'users.json'), { password: undefined }, log).kind).toBe('users');
  });

  it('rejects a wrong or missing password with CONNACK 4 and counts it; accepts the right one', async () => {
    const broker = await aedes({}, { username: 'voxbus', password: 's3cret' });
    expect(await connectOnce(broker.url, { username: 'voxbus', password: 'guess' })).toMatch(/Bad username or password/);
    expect(await connectOnce(broker.url, {})).toMatch(/Bad username or password/);
    expect(await connectOnce(broker.url, { username: 'voxbus', password: 's3cret' })).toBe('connected');
    expect(broker.metrics.snapshot()['clients.rejectedAuth']).toBe(2);
  });
});

describe('broker limits', () => {
  it('disconnects a client publishing over the payload limit; nobody receives it', async () => {
    const broker = await aedes({ maxPayloadBytes: 4096 });
    const listener = await probe(broker.url);
    await listener.subscribe('voxbus/#');
    const offender = await probe(broker.url, { reconnectPeriod: 0 });
    const closed = new Promise<void>((resolve) => offender.client.once('close', () => resolve()));
    offender.client.publish('voxbus/audio/mic', Buffer.alloc(5000));
    await closed;
    await listener.publish('voxbus/after', 'still here');
    await waitFor('the later message', () => listener.on('voxbus/after').length === 1);
    expect(listener.on('voxbus/audio/mic')).toHaveLength(0);
    expect(broker.metrics.snapshot()['publishes.rejectedTooLarge']).toBe(1);
  });

  it('delivers a command or a non-contract topic published retained but does not keep it; a retained state stays retained', async () => {
    const broker = await aedes({});
    const listener = await probe(broker.url);
    await listener.subscribe('voxbus/#');
    const sender = await probe(broker.url);
    await sender.client.publishAsync('voxbus/realtime-gateway/cmd/say', '{"text":"again and again"}', { retain: true, qos: 1 });
    await sender.client.publishAsync('voxbus/conversation/req/describe', '{"requestId":"r1"}', { retain: true, qos: 1 });
    await sender.client.publishAsync('voxbus/playback/state', '{"state":"idle"}', { retain: true, qos: 1 });
    await sender.client.publishAsync('voxbus/dsp/event/levels', Buffer.alloc(100_000), { retain: true, qos: 1 });
    await waitFor('the four messages delivered', () => listener.messages.length >= 4 || undefined);
    // A subscriber arriving later (a restarted service) gets only the state.
    const later = await probe(broker.url);
    await later.subscribe('voxbus/#');
    await waitFor('the retained state', () => later.on('voxbus/playback/state').length === 1 || undefined);
    await later.publish('voxbus/after', 'x');
    await waitFor('a later message', () => later.on('voxbus/after').length === 1 || undefined);
    expect(later.messages.filter((m) => m.retained).map((m) => m.topic)).toEqual(['voxbus/playback/state']);
    expect(broker.metrics.snapshot()['publishes.retainCleared']).toBe(3);
  });

  it('disconnects a client publishing on a topic deeper than maxTopicLevels', async () => {
    const broker = await aedes({ maxTopicLevels: 4 });
    const offender = await probe(broker.url, { reconnectPeriod: 0 });
    const closed = new Promise<void>((resolve) => offender.client.once('close', () => resolve()));
    offender.client.publish('voxbus/a/b/c/d', 'too deep');
    await closed;
  });

  it('cuts off a subscriber that stops reading, so the others keep getting audio', async () => {
    const broker = await aedes({ drainTimeoutMs: 500, maxPayloadBytes: 128 * 1024 });
    const healthy = await probe(broker.url);
    await healthy.subscribe('voxbus/audio/#');
    const frozen = await probe(broker.url, { reconnectPeriod: 0 });
    await frozen.subscribe('voxbus/audio/#');
    // Stop reading: the kernel buffers fill, then the broker's writes to this client stall.
    // (Paused, it never reads the broker's FIN either, so the broker's client count is the witness.)
    frozen.client.stream.unpipe();
    frozen.client.stream.pause();
    const sender = await probe(broker.url);
    expect(broker.server.connectedClients()).toBe(3);
    const chunk = Buffer.alloc(64 * 1024, 1);
    const total = 600; // ~38 MB: far beyond the loopback socket buffers
    for (let i = 0; i < total; i++) sender.client.publish('voxbus/audio/mic', chunk);
    await waitFor('every message at the healthy subscriber', () => healthy.on('voxbus/audio/mic').length === total, 20_000);
    await waitFor('the frozen subscriber cut off', () => broker.server.connectedClients() === 2, 5000);
  });
});

describe('broker HTTP', () => {
  it('serves the monitor page on GET / of the WebSocket port (its files, mqtt.js for the browser, its settings), without its version, and 404 elsewhere', async () => {
    const broker = await aedes();
    const base = `http://127.0.0.1:${broker.server.wsPort}`;
    const page = await fetch(`${base}/`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/text\/html/);
    const text = await page.text();
    expect(text).toMatch(/<script type="module" src="monitor.js">/);
    expect(text).not.toMatch(/0\.1\.0/);
    for (const [path, type] of [['/monitor.js', /javascript/], ['/monitor.css', /css/], ['/vendor/mqtt.esm.js', /javascript/]] as const) {
      const file = await fetch(`${base}${path}`);
      expect(file.status, path).toBe(200);
      expect(file.headers.get('content-type'), path).toMatch(type);
      expect((await file.text()).length, path).toBeGreaterThan(100);
    }
    expect(await (await fetch(`${base}/config.json`)).json()).toEqual({ wsPath: '/mqtt', baseTopic: 'voxbus', loginRequired: false });
    expect((await fetch(`${base}/nope`)).status).toBe(404);
    expect((await fetch(`${base}/../package.json`)).status).toBe(404);
    expect((await fetch(`${base}/`, { method: 'POST' })).status).toBe(405);
  });
});
