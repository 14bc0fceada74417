import { describe, expect, it } from 'vitest';
import { type AudioFrame, type BusMessage, encodeAudioFrame, LocalBus, type LocalBusOptions } from '@voxbus/shared';
import { cleanupAfterEach } from '../../../test/helpers/cleanup.js';
import { type AedesTestBroker, startAedes } from '../../../test/helpers/brokers.js';
import { captureLog } from '../../../test/helpers/log-capture.js';
import { Probe } from '../../../test/helpers/probe.js';
import { waitFor } from '../../../test/helpers/wait.js';

// The bus of the services sharing the broker's process (all-in-one mode), against the real Aedes
// the broker service runs, with plain MQTT clients outside the process as users have them.

interface Status {
  status: string;
  reason: string;
  pid: number;
}

const identity = { service: 'dsp', version: '9.9.9', startedAt: '2026-11-28T12:00:00.000Z', pid: 4242, host: 'board' };
const frame = (sequence: number): AudioFrame => ({ sampleRateHz: 24_000, channels: 1, sampleFormat: 's16le', sequence, captureTimeUs: sequence, pcm: new Uint8Array(960) });
const response = (requestId: string) => ({ requestId, ok: false as const, error: { code: 'x', message: 'test' } });

const onCleanup = cleanupAfterEach();

async function aedes(): Promise<AedesTestBroker> {
  const broker = await startAedes();
  onCleanup(() => broker.stop());
  return broker;
}

function localBus(broker: AedesTestBroker, extra: Partial<LocalBusOptions> = {}): LocalBus {
  const bus = new LocalBus({ broker: broker.server.local, baseTopic: 'voxbus', log: extra.log ?? captureLog().log, ...extra });
  onCleanup(() => bus.close(500));
  return bus;
}

async function probe(broker: AedesTestBroker, filter: string): Promise<Probe> {
  const p = await Probe.connect(broker.url);
  onCleanup(() => p.close());
  await p.subscribe(filter);
  return p;
}

describe('LocalBus: a service in the broker’s own process', () => {
  it('says online (retained, for late subscribers too) on connect and offline "stopped" on close', async () => {
    const broker = await aedes();
    const bus = localBus(broker, { status: identity });
    expect(bus.connected).toBe(false);
    bus.connect();
    expect(bus.connected).toBe(true);
    const late = await probe(broker, 'voxbus/+/status');
    expect(await late.waitForJson<Status>('voxbus/dsp/status', () => true)).toMatchObject({ status: 'online', reason: 'running', pid: 4242 });
    expect(late.on('voxbus/dsp/status')[0]?.retained).toBe(true);
    const seen = late.messages.length;
    await bus.close();
    expect(await late.waitForJson<Status>('voxbus/dsp/status', () => true, 5000, seen)).toMatchObject({ status: 'offline', reason: 'stopped' });
    expect(bus.connected).toBe(false);
    // Closed: nothing more leaves, and it is counted rather than lost in silence.
    expect(bus.publish('audio.input', {}, frame(1))).toBe(false);
    expect(bus.counters().droppedOutgoing).toEqual({ 'audio.input': 1 });
  });

  it('reaches clients outside the process, and hears them, with the topic’s parameters', async () => {
    const broker = await aedes();
    const outside = await probe(broker, 'voxbus/#');
    const bus = localBus(broker);
    const heard: BusMessage<'service.describe.res'>[] = [];
    bus.subscribe('test', 'service.describe.res', { service: '+' }, (message) => void heard.push(message));
    bus.connect();
    expect(bus.publish('audio.input', {}, frame(7))).toBe(true);
    expect(bus.publish('service.describe.res', { service: 'playback' }, response('from-inside'))).toBe(true);
    await waitFor('the frame outside', () => outside.on('voxbus/audio/input').length === 1);
    expect(outside.on('voxbus/audio/input')[0]?.payload).toEqual(encodeAudioFrame(frame(7)));
    expect(await outside.waitForJson('voxbus/playback/res/describe', () => true)).toEqual(response('from-inside'));
    await outside.publish('voxbus/lcd/res/describe', Buffer.from(JSON.stringify(response('from-outside'))));
    await waitFor('the outside reply inside', () => heard.some((m) => m.payload.requestId === 'from-outside'));
    expect(heard.find((m) => m.payload.requestId === 'from-outside')).toMatchObject({ topic: 'voxbus/lcd/res/describe', params: { service: 'lcd' }, retained: false });
    // Its own publish comes back to its own subscription, as a broker does for any client.
    expect(heard.find((m) => m.payload.requestId === 'from-inside')?.params).toEqual({ service: 'playback' });
  });

  it('drops and counts a malformed message from outside and keeps delivering good ones', async () => {
    const broker = await aedes();
    const { log, lines } = captureLog();
    const bus = localBus(broker, { log });
    const received: number[] = [];
    bus.subscribe('dsp', 'audio.mic', {}, ({ payload }) => void received.push(payload.sequence));
    bus.connect();
    const sender = await probe(broker, 'unused/#');
    await sender.publish('voxbus/audio/mic', Buffer.from('{"json":"where audio belongs"}'));
    await sender.publish('voxbus/audio/mic', encodeAudioFrame(frame(1)).subarray(0, 40));
    await sender.publish('voxbus/audio/mic', encodeAudioFrame(frame(2)));
    await waitFor('the good frame', () => received.includes(2));
    expect(received).toEqual([2]);
    expect(bus.counters().invalidReceived['audio.mic']).toBe(2);
    expect(lines.filter((line) => line.msg === 'invalid message dropped')[0]).toMatchObject({ topic: 'voxbus/audio/mic' });
  });

  it('gives a new subscription the retained messages, as a SUBSCRIBE gets them, and a second one on the same filter too', async () => {
    const broker = await aedes();
    const other = localBus(broker, { status: { ...identity, service: 'lcd' } });
    other.connect();
    // Routed by now (a retained message is routed once stored): what follows is a snapshot, not news.
    await (await probe(broker, 'voxbus/+/status')).waitForJson('voxbus/lcd/status', () => true);
    const bus = localBus(broker);
    bus.connect();
    const first: BusMessage<'service.status'>[] = [];
    bus.subscribe('a', 'service.status', { service: '+' }, (message) => void first.push(message));
    await waitFor('the retained status', () => first.length === 1);
    expect(first[0]).toMatchObject({ params: { service: 'lcd' }, retained: true, payload: { status: 'online' } });
    const second: BusMessage<'service.status'>[] = [];
    bus.subscribe('b', 'service.status', { service: '+' }, (message) => void second.push(message));
    await waitFor('the snapshot for the second subscription', () => second.length === 1);
    expect(second[0]).toMatchObject({ retained: true, payload: { status: 'online' } });
    // News after that is news: not retained, and each subscription has it once.
    await other.close();
    await waitFor('offline to both', () => first.length === 2 && second.length === 2);
    for (const heard of [first, second]) expect([heard[1]?.retained, heard[1]?.payload.status]).toEqual([false, 'offline']);
  });

  it('runs a handler after the publisher has returned, never inside its publish', async () => {
    const broker = await aedes();
    const bus = localBus(broker);
    bus.connect();
    const order: string[] = [];
    bus.subscribe('test', 'audio.input', {}, ({ payload }) => {
      order.push(`handled ${payload.sequence}`);
      // A handler that publishes on its own topic: over a socket it could not recurse; nor here.
      if (payload.sequence < 3) bus.publish('audio.input', {}, frame(payload.sequence + 1));
    });
    order.push('publishing 1');
    bus.publish('audio.input', {}, frame(1));
    order.push('published 1');
    await waitFor('the chain of three', () => order.includes('handled 3'));
    expect(order).toEqual(['publishing 1', 'published 1', 'handled 1', 'handled 2', 'handled 3']);
  });

  it('routes its messages in the order it published them, a retained one followed at once by audio included', async () => {
    const broker = await aedes();
    const outside = await probe(broker, 'voxbus/#');
    const bus = localBus(broker);
    const order: string[] = [];
    bus.subscribe('test', 'service.status', { service: 'dsp' }, ({ payload }) => void order.push(payload.status));
    bus.subscribe('test', 'audio.input', {}, ({ payload }) => void order.push(`frame ${payload.sequence}`));
    bus.connect();
    // Aedes routes a retained message after storing it, a QoS 0 frame within the call: the frame waits.
    bus.publish('service.status', { service: 'dsp' }, { ...identity, status: 'online', reason: 'running' });
    bus.publish('audio.input', {}, frame(1));
    bus.publish('service.status', { service: 'dsp' }, { ...identity, status: 'offline', reason: 'stopped' });
    bus.publish('audio.input', {}, frame(2));
    const expected = ['online', 'frame 1', 'offline', 'frame 2'];
    await waitFor('all four inside', () => order.length === 4);
    expect(order).toEqual(expected);
    await waitFor('all four outside', () => outside.messages.length === 4);
    expect(outside.messages.map((m) => (m.topic === 'voxbus/dsp/status' ? (m.json as Status).status : m.topic))).toEqual(['online', 'voxbus/audio/input', 'offline', 'voxbus/audio/input']);
  });

  it('stops delivering once every subscription of its owner is gone', async () => {
    const broker = await aedes();
    const bus = localBus(broker);
    bus.connect();
    const kept: number[] = [];
    const gone: number[] = [];
    bus.subscribe('kept', 'audio.played', {}, ({ payload }) => void kept.push(payload.sequence));
    bus.subscribe('gone', 'audio.input', {}, ({ payload }) => void gone.push(payload.sequence));
    bus.publish('audio.input', {}, frame(1));
    await waitFor('the first frame', () => gone.length === 1);
    bus.unsubscribeAll('gone');
    bus.publish('audio.input', {}, frame(2));
    bus.publish('audio.played', {}, frame(3));
    await waitFor('the frame on the kept subscription', () => kept.length === 1);
    expect(gone).toEqual([1]);
  });
});
