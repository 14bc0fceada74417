import { createServer, type AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import { randomBytes } from 'node:crypto';
import { Aedes } from 'aedes';
import { describe, expect, it } from 'vitest';
import { type Bus, LocalBus, MqttBus } from '@voxbus/shared';
import { cleanupAfterEach } from '../../../test/helpers/cleanup.js';
import { captureLog } from '../../../test/helpers/log-capture.js';
import { Probe } from '../../../test/helpers/probe.js';
import { waitFor } from '../../../test/helpers/wait.js';
import { localBroker } from '../src/local-broker.js';

// The real Aedes sends a new subscription's retained messages from its store while live ones
// already flow to it. Here the store is read at SUBSCRIBE time, as Aedes does, and its stream
// held until the test lets it go: the retained copy then lands after a newer live change, which
// CI saw happen by itself (the dsp's retained `waiting` 4 ms after its live `running`).

interface RetainedStore {
  createRetainedStreamCombi(patterns: string[]): Readable;
}

const onCleanup = cleanupAfterEach();

const status = (pid: number): string =>
  JSON.stringify({ status: 'online', reason: 'running', service: 'dsp', version: '1', startedAt: '2026-11-29T12:00:00.000Z', pid, host: 'board' });

async function slowRetainedAedes() {
  const aedes = await Aedes.createBroker();
  const store = (aedes as unknown as { persistence: RetainedStore }).persistence;
  const read = store.createRetainedStreamCombi.bind(store);
  let release!: () => void;
  const released = new Promise<void>((resolve) => (release = resolve));
  let subscribed!: () => void;
  const subscribe = new Promise<void>((resolve) => (subscribed = resolve));
  let hold = false;
  store.createRetainedStreamCombi = (patterns) => {
    const stream = read(patterns);
    if (!hold) return stream;
    subscribed();
    const packets = stream.toArray();
    return Readable.from(
      (async function* () {
        const due: unknown[] = await packets;
        await released;
        yield* due;
      })(),
    );
  };
  const server = createServer((socket) => aedes.handle(socket));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  onCleanup(async () => {
    release();
    await new Promise<void>((resolve) => aedes.close(() => resolve()));
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });
  const url = `mqtt://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const publisher = await Probe.connect(url);
  onCleanup(() => publisher.close());
  return {
    aedes,
    url,
    publish: (pid: number) => publisher.publish('voxbus/dsp/status', status(pid), true),
    /** The next subscription's retained messages are read now and sent when released. */
    holdRetained: () => {
      hold = true;
    },
    subscribed: subscribe,
    release,
  };
}

function watch(bus: Bus, owner: string): string[] {
  const seen: string[] = [];
  bus.subscribe(owner, 'service.status', { service: '+' }, ({ payload, retained }) => void seen.push(`pid ${payload.pid}${retained ? ' retained' : ''}`));
  return seen;
}

describe('a late retained copy against the real Aedes', () => {
  for (const transport of ['MqttBus', 'LocalBus'] as const) {
    it(`${transport}: never hands a subscription state older than the live news it had`, async () => {
      const broker = await slowRetainedAedes();
      await broker.publish(1);
      const bus =
        transport === 'MqttBus'
          ? new MqttBus({ url: broker.url, baseTopic: 'voxbus', clientId: `race-${randomBytes(3).toString('hex')}`, log: captureLog().log, keepaliveS: 2, reconnectPeriodMs: 100 })
          : new LocalBus({ broker: localBroker(broker.aedes), baseTopic: 'voxbus', log: captureLog().log });
      onCleanup(() => bus.close(500));
      broker.holdRetained();
      const seen = watch(bus, 'state');
      bus.connect();
      await broker.subscribed;
      await broker.publish(2);
      await waitFor('the live pid 2', () => seen.includes('pid 2'));
      broker.release();
      await waitFor('the late retained copy (pid 1) to reach the bus', () => bus.counters().received === 2);
      expect(seen, 'a retained pid 1 after the live pid 2 is older news').toEqual(['pid 2']);
      expect(watch(bus, 'monitor'), 'a later subscription gets the newest snapshot').toEqual(['pid 2 retained']);
    });
  }
});
