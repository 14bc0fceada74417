import { connect, type Socket } from 'node:net';
import { describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { cleanupAfterEach } from '../../../test/helpers/cleanup.js';
import { connectOnce } from '../../../test/helpers/connect-once.js';
import { type AedesTestBroker, startAedes } from '../../../test/helpers/brokers.js';
import { Probe } from '../../../test/helpers/probe.js';
import { waitFor } from '../../../test/helpers/wait.js';
import pino from 'pino';
import { MetricsRegistry } from '@voxbus/shared';
import { BROKER_DEFAULTS, startBrokerServer } from '@voxbus/broker/lib';
import { LoginThrottle } from '../src/login-throttle.js';
import { boardHosts, originAllowed } from '../src/origin-check.js';

const onCleanup = cleanupAfterEach();

async function aedes(...args: Parameters<typeof startAedes>): Promise<AedesTestBroker> {
  const broker = await startAedes(...args);
  onCleanup(() => broker.stop());
  return broker;
}

/** MQTT's variable-length "remaining length" field. */
function remainingLength(length: number): Buffer {
  const bytes: number[] = [];
  let value = length;
  do {
    let byte = value % 128;
    value = Math.floor(value / 128);
    if (value > 0) byte |= 0x80;
    bytes.push(byte);
  } while (value > 0);
  return Buffer.from(bytes);
}

const str = (value: Buffer | string): Buffer => {
  const bytes = typeof value === 'string' ? Buffer.from(value) : value;
  return Buffer.concat([Buffer.from([bytes.length >> 8, bytes.length & 0xff]), bytes]);
};

/** A CONNECT for MQTT 3.1.1, clean session, keepalive 30 s, no login. */
function connectPacket(clientId: string): Buffer {
  const body = Buffer.concat([str('MQTT'), Buffer.from([4, 0x02, 0, 30]), str(clientId)]);
  return Buffer.concat([Buffer.from([0x10]), remainingLength(body.length), body]);
}

/** A QoS 0 PUBLISH whose topic is the given bytes (ill-formed UTF-8 and NUL included). */
function publishPacket(topic: Buffer, payload: Buffer): Buffer {
  const body = Buffer.concat([str(topic), payload]);
  return Buffer.concat([Buffer.from([0x30]), remainingLength(body.length), body]);
}

/** A raw TCP connection that records whether and when the broker closed it. */
async function rawSocket(port: number): Promise<{ socket: Socket; closed: Promise<void>; received: Buffer[] }> {
  const socket = connect(port, '127.0.0.1');
  socket.setNoDelay(true);
  const received: Buffer[] = [];
  socket.on('data', (data) => received.push(data));
  socket.on('error', () => {});
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
  onCleanup(() => {
    socket.destroy();
  });
  return { socket, closed, received };
}

describe('broker: packets refused before they are read', () => {
  it('closes a connection whose CONNECT claims 64 MB as soon as the length is read, and counts it', async () => {
    const broker = await aedes();
    const raw = await rawSocket(broker.port);
    // The fixed header and length only: a broker that waited for the body would keep the socket open.
    raw.socket.write(Buffer.concat([Buffer.from([0x10]), remainingLength(64 * 1024 * 1024), Buffer.alloc(1000)]));
    await raw.closed;
    expect(broker.metrics.snapshot()['clients.rejectedConnectTooLarge']).toBe(1);
    // A normal client still gets in.
    const ok = await Probe.connect(broker.url);
    onCleanup(() => ok.close());
  });

  it('logs refused packets once per kind per 10 s, however many clients send them (and counts every one)', async () => {
    const lines: string[] = [];
    const metrics = new MetricsRegistry();
    const server = await startBrokerServer({
      config: { ...BROKER_DEFAULTS, tcpPort: 0, wsPort: 0, shutdownGraceMs: 0 },
      access: { kind: 'open' },
      baseTopic: 'voxbus',
      version: 'test',
      log: pino({ level: 'info' }, { write: (line: string) => lines.push(line) }),
      metrics,
      statusFilter: 'voxbus/+/status',
    });
    onCleanup(() => server.close());
    for (let i = 0; i < 20; i++) {
      const raw = await rawSocket(server.tcpPort);
      raw.socket.write(Buffer.concat([Buffer.from([0x10]), remainingLength(64 * 1024 * 1024)]));
      await raw.closed;
    }
    expect(metrics.snapshot()['clients.rejectedConnectTooLarge']).toBe(20);
    expect(lines.filter((line) => line.includes('over the size limit refused'))).toHaveLength(1);
  });

  it('holds a client that has not logged in to the CONNECT bound whatever it sends (a 200 KB PUBLISH in place of the CONNECT)', async () => {
    const broker = await aedes();
    const raw = await rawSocket(broker.port);
    raw.socket.write(Buffer.concat([Buffer.from([0x30]), remainingLength(200 * 1024), str('voxbus/audio/mic')]));
    await raw.closed;
    expect(broker.metrics.snapshot()['clients.rejectedConnectTooLarge']).toBe(1);
  });

  it('closes a connection announcing a PUBLISH over the payload limit before its body arrives', async () => {
    const broker = await aedes({ maxPayloadBytes: 4096 });
    const raw = await rawSocket(broker.port);
    raw.socket.write(connectPacket('big-1'));
    await waitFor('CONNACK', () => raw.received.length > 0 || undefined);
    raw.socket.write(Buffer.concat([Buffer.from([0x30]), remainingLength(10 * 1024 * 1024), str('voxbus/audio/mic')]));
    await raw.closed;
    expect(broker.metrics.snapshot()['publishes.rejectedTooLarge']).toBe(1);
  });

  it.each([
    ['a NUL character', Buffer.from('voxbus/a\u0000b')],
    ['ill-formed UTF-8', Buffer.from([0x76, 0x6f, 0x78, 0x2f, 0xc3, 0x28])],
  ])('disconnects a client publishing on a topic with %s; nobody receives it', async (_what, topic) => {
    const broker = await aedes();
    const listener = await Probe.connect(broker.url);
    onCleanup(() => listener.close());
    await listener.subscribe('#');
    const raw = await rawSocket(broker.port);
    raw.socket.write(connectPacket('bad-topic-1'));
    await waitFor('CONNACK', () => raw.received.length > 0 || undefined);
    raw.socket.write(publishPacket(topic, Buffer.from('x')));
    await raw.closed;
    await listener.publish('voxbus/after', 'y');
    await waitFor('the later message', () => listener.on('voxbus/after').length === 1 || undefined);
    expect(listener.messages.map((message) => message.topic)).toEqual(['voxbus/after']);
    expect(broker.metrics.snapshot()['clients.rejectedTopic']).toBe(1);
  });
});

describe('broker: failed logins throttled', () => {
  it('blocks an address after the free failures, doubling up to the bound, and clears it on success', () => {
    let nowMs = 0;
    const throttle = new LoginThrottle({ freeFailures: 3, maxBlockMs: 5000, maxAddresses: 2, nowMs: () => nowMs });
    for (let i = 0; i < 3; i++) throttle.failed('10.0.0.9');
    expect(throttle.blockedForMs('10.0.0.9')).toBe(1000);
    throttle.failed('10.0.0.9');
    expect(throttle.blockedForMs('10.0.0.9')).toBe(2000);
    for (let i = 0; i < 10; i++) throttle.failed('10.0.0.9');
    expect(throttle.blockedForMs('10.0.0.9')).toBe(5000);
    expect(throttle.blockedForMs('10.0.0.8')).toBe(0);
    nowMs += 5000;
    expect(throttle.blockedForMs('10.0.0.9')).toBe(0);
    throttle.succeeded('10.0.0.9');
    throttle.failed('10.0.0.9');
    expect(throttle.blockedForMs('10.0.0.9')).toBe(0);
    // Bounded: a third address forgets the oldest.
    for (let i = 0; i < 5; i++) throttle.failed('10.0.0.7');
    throttle.failed('10.0.0.6');
    expect(throttle.blockedForMs('10.0.0.7')).toBeGreaterThan(0);
  });

  it('refuses logins from an address unchecked once it failed too often: 300 wrong passwords, 5 checked', async () => {
    // A frozen clock: the block never runs out while the 300 attempts are made, however slow the machine.
    const broker = await aedes({ loginFreeFailures: 5, loginMaxBlockMs: 60_000 }, { username: 'voxbus', password: 's3cret' }, undefined, () => 0);
    const answers: string[] = [];
    for (let i = 0; i < 300; i++) {
      answers.push(await connectOnce(broker.url, { username: 'voxbus', password: `guess-${i}` }));
    }
    const metrics = broker.metrics.snapshot();
    expect(metrics['clients.rejectedAuth']).toBe(5);
    expect(metrics['clients.loginThrottled']).toBe(295);
    expect(answers.filter((answer) => /Not authorized/i.test(answer))).toHaveLength(295);
    expect(answers).not.toContain('connected');
  });

  it('lets a login it verified before through a blocked address (a service after someone\'s typos), and no new guess', async () => {
    const broker = await aedes({ loginFreeFailures: 2, loginMaxBlockMs: 60_000 }, { username: 'voxbus', password: 's3cret' }, undefined, () => 0);
    const once = (password: string) => connectOnce(broker.url, { username: 'voxbus', password });
    expect(await once('s3cret')).toBe('connected');
    expect(await once('typo-1')).toMatch(/Bad username or password/);
    expect(await once('typo-2')).toMatch(/Bad username or password/);
    expect(await once('guess')).toMatch(/Not authorized/);
    expect(await once('s3cret')).toBe('connected');
  });
});

describe('broker: WebSocket origins', () => {
  it('lets through non-browsers, pages from the board itself and configured origins only, whatever the Host header says', () => {
    const hosts = new Set(['localhost', '127.0.0.1', '::1', 'board', '192.168.1.20']);
    expect(originAllowed(undefined, [], hosts)).toBe(true);
    expect(originAllowed('http://board:9001', [], hosts)).toBe(true);
    expect(originAllowed('http://192.168.1.20:9001', [], hosts)).toBe(true);
    expect(originAllowed('http://[::1]:9001', [], hosts)).toBe(true);
    expect(originAllowed('http://evil.example', [], hosts)).toBe(false);
    // DNS rebinding: evil.example now resolves to the board, and the browser sends Host: evil.example too.
    expect(originAllowed('http://evil.example:9001', [], hosts)).toBe(false);
    expect(originAllowed('http://evil.example', ['http://evil.example'], hosts)).toBe(true);
    expect(originAllowed('http://elsewhere', ['*'], hosts)).toBe(true);
    expect(originAllowed('not a url', [], hosts)).toBe(false);
    expect(boardHosts('0.0.0.0').has('127.0.0.1')).toBe(true);
  });

  it('refuses the upgrade from a foreign page and counts it; MQTT over WebSocket works without Origin', async () => {
    const broker = await aedes();
    const status = await new Promise<number>((resolve) => {
      // A rebinding page: its own name in both Origin and Host.
      const socket = new WebSocket(broker.wsUrl, 'mqtt', { headers: { Origin: 'http://evil.example:9001', Host: 'evil.example:9001' } });
      socket.on('unexpected-response', (_request, response) => resolve(response.statusCode ?? 0));
      socket.on('open', () => resolve(101));
      socket.on('error', () => {});
    });
    expect(status).toBe(401);
    expect(broker.metrics.snapshot()['clients.rejectedOrigin']).toBe(1);
    // The board's own page (served from localhost here) may.
    const own = await new Promise<number>((resolve) => {
      const socket = new WebSocket(broker.wsUrl, 'mqtt', { headers: { Origin: `http://localhost:${broker.server.wsPort}` } });
      socket.on('unexpected-response', (_request, response) => resolve(response.statusCode ?? 0));
      socket.on('open', () => {
        socket.close();
        resolve(101);
      });
      socket.on('error', () => {});
    });
    expect(own).toBe(101);
    const probe = await Probe.connect(broker.wsUrl);
    onCleanup(() => probe.close());
  });
});
