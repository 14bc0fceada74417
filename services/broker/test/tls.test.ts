import { readFileSync } from 'node:fs';
import { get } from 'node:https';
import { join } from 'node:path';
import mqtt from 'mqtt';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { MqttBus } from '@voxbus/shared';
import { cleanupAfterEach } from '../../../test/helpers/cleanup.js';
import { startAedes } from '../../../test/helpers/brokers.js';
import { Probe } from '../../../test/helpers/probe.js';
import { waitFor } from '../../../test/helpers/wait.js';
import { makeTlsPair } from '../src/credentials.js';
import { tempDir } from '../../../test/helpers/temp-dir.js';

const onCleanup = cleanupAfterEach();

async function tlsBroker() {
  const dir = tempDir('tls');
  expect(await makeTlsPair(dir, ['localhost', '127.0.0.1'])).toHaveLength(2);
  expect(await makeTlsPair(dir, ['localhost'])).toEqual([]);
  const pair = { cert: readFileSync(join(dir, 'tls-cert.pem'), 'utf8'), key: readFileSync(join(dir, 'tls-key.pem'), 'utf8') };
  const broker = await startAedes({}, { username: 'voxbus', password: 's3cret' }, pair);
  onCleanup(() => broker.stop());
  return { broker, ca: pair.cert };
}

const login = { username: 'voxbus', password: 's3cret' };

describe('the broker over TLS', () => {
  it('carries MQTT over TLS and over secure WebSocket to clients that trust its certificate, alongside plain MQTT on the board', async () => {
    const { broker, ca } = await tlsBroker();
    const { tlsPort, tlsWsPort } = broker.server;
    expect(tlsPort).toBeGreaterThan(0);
    const plain = await Probe.connect(broker.url, login);
    onCleanup(() => plain.close());
    await plain.subscribe('voxbus/#');
    const secure = await Probe.connect(`mqtts://127.0.0.1:${tlsPort}`, { ...login, ca });
    onCleanup(() => secure.close());
    const web = await Probe.connect(`wss://127.0.0.1:${tlsWsPort}/mqtt`, { ...login, ca });
    onCleanup(() => web.close());
    await secure.publish('voxbus/over/mqtts', 'a');
    await web.publish('voxbus/over/wss', 'b');
    await waitFor('both at the plain subscriber', () => plain.messages.length === 2 || undefined);
    expect(plain.messages.map((m) => m.topic).sort()).toEqual(['voxbus/over/mqtts', 'voxbus/over/wss']);
    // The page over TLS, for a client that trusts the certificate.
    const status = await new Promise<number>((resolve, reject) => {
      get(`https://localhost:${tlsWsPort}/`, { ca }, (response) => {
        response.resume();
        resolve(response.statusCode ?? 0);
      }).on('error', reject);
    });
    expect(status).toBe(200);
  });

  it('refuses a client that does not trust the certificate (no silent fallback to plain)', async () => {
    const { broker } = await tlsBroker();
    const answer = await new Promise<string>((resolve) => {
      const client = mqtt.connect(`mqtts://127.0.0.1:${broker.server.tlsPort}`, { ...login, reconnectPeriod: 0, protocolVersion: 4 });
      client.once('connect', () => resolve('connected'));
      client.once('error', (error) => resolve(error.message));
    });
    expect(answer).toMatch(/self[- ]signed certificate/i);
  });

  it("lets a service's bus connect over mqtts with bus.caFile's certificate", async () => {
    const { broker, ca } = await tlsBroker();
    const watcher = await Probe.connect(broker.url, login);
    onCleanup(() => watcher.close());
    await watcher.subscribe('voxbus/+/status');
    const bus = new MqttBus({
      url: `mqtts://127.0.0.1:${broker.server.tlsPort}`,
      ca,
      ...login,
      baseTopic: 'voxbus',
      clientId: 'tls-probe-1',
      log: pino({ level: 'silent' }),
      status: { service: 'tls-probe', version: '0', startedAt: new Date().toISOString(), pid: process.pid, host: 'test' },
    });
    onCleanup(() => bus.close());
    bus.connect();
    await watcher.waitForJson('voxbus/tls-probe/status', (s: { status: string }) => s.status === 'online');
  });
});
