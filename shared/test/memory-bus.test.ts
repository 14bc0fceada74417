import { describe, expect, it } from 'vitest';
import { type AudioFrame, type BusMessage, encodeAudioFrame } from '@voxbus/shared';
import { MemoryBroker, MemoryBus } from '@voxbus/shared/testing';
import { captureLog } from '../../test/helpers/log-capture.js';

const frame = (sequence: number): AudioFrame => ({
  sampleRateHz: 48_000,
  channels: 2,
  sampleFormat: 's16le',
  sequence,
  captureTimeUs: 1000 + sequence * 20_000,
  pcm: new Uint8Array(960 * 4),
});

const online = {
  status: 'online' as const,
  reason: 'running' as const,
  service: 'dsp',
  version: '1',
  startedAt: '2026-11-21T12:00:00.000Z',
  pid: 7,
  host: 'board',
};

describe('bus core (through MemoryBus)', () => {
  it('delivers valid messages with topic parameters, wildcards included', () => {
    const broker = new MemoryBroker();
    const publisher = new MemoryBus(broker);
    const subscriber = new MemoryBus(broker);
    const seen: BusMessage<'service.status'>[] = [];
    subscriber.subscribe('test', 'service.status', { service: '+' }, (message) => void seen.push(message));
    expect(publisher.publish('service.status', { service: 'dsp' }, online)).toBe(true);
    expect(seen).toHaveLength(1);
    expect(seen[0]).toMatchObject({ topic: 'voxbus/dsp/status', params: { service: 'dsp' }, payload: online, retained: false });
  });

  it('refuses to publish a payload that breaks the contract, logs it and counts it', () => {
    const { log, lines } = captureLog();
    const bus = new MemoryBus(new MemoryBroker(), { log });
    const ok = bus.publish('service.status', { service: 'dsp' }, { ...online, pid: -3 });
    expect(ok).toBe(false);
    expect(bus.broker.log).toHaveLength(0);
    expect(bus.counters().refusedPublishes).toEqual({ 'service.status': 1 });
    expect(lines.find((line) => line.msg === 'publish refused: the payload breaks the contract')).toMatchObject({ key: 'service.status' });
  });

  it('drops, counts and logs malformed received payloads with their topic, and keeps delivering', () => {
    const { log, lines } = captureLog();
    const broker = new MemoryBroker();
    const bus = new MemoryBus(broker, { log });
    const sequences: number[] = [];
    bus.subscribe('dsp', 'audio.mic', {}, ({ payload }) => void sequences.push(payload.sequence));
    broker.publishRaw('voxbus/audio/mic', Buffer.from('not a frame at all, just text'));
    broker.publishRaw('voxbus/audio/mic', encodeAudioFrame(frame(1)).subarray(0, 100));
    broker.publishRaw('voxbus/audio/mic', encodeAudioFrame(frame(2)));
    expect(sequences).toEqual([2]);
    expect(bus.counters().invalidReceived).toEqual({ 'audio.mic': 2 });
    const warning = lines.find((line) => line.msg === 'invalid message dropped');
    expect(warning).toMatchObject({ topic: 'voxbus/audio/mic', key: 'audio.mic' });
    expect(String(warning?.err)).toMatch(/bad audio frame/);
  });

  it('isolates a throwing handler: counted, logged, the next message still arrives', () => {
    const { log, lines } = captureLog();
    const broker = new MemoryBroker();
    const bus = new MemoryBus(broker, { log });
    const got: number[] = [];
    bus.subscribe('flaky', 'audio.mic', {}, ({ payload }) => {
      if (payload.sequence === 1) throw new Error('boom');
      got.push(payload.sequence);
    });
    bus.publish('audio.mic', {}, frame(1));
    bus.publish('audio.mic', {}, frame(2));
    expect(got).toEqual([2]);
    expect(bus.counters().handlerErrors).toEqual({ 'flaky audio.mic': 1 });
    expect(lines.find((line) => line.msg === 'message handler failed')).toMatchObject({ owner: 'flaky', err: 'boom' });
  });

  it('queues behind a slow async handler, in order, dropping the oldest beyond capacity', async () => {
    const bus = new MemoryBus();
    const handled: number[] = [];
    let release: () => void = () => {};
    const gate = new Promise<void>((resolve) => (release = resolve));
    bus.subscribe(
      'slow',
      'audio.mic',
      {},
      async ({ payload }) => {
        if (payload.sequence === 0) await gate;
        handled.push(payload.sequence);
      },
      { queueCapacity: 3 },
    );
    for (let sequence = 0; sequence < 6; sequence++) bus.publish('audio.mic', {}, frame(sequence));
    expect(handled).toEqual([]);
    release();
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(handled).toEqual([0, 3, 4, 5]);
    expect(bus.counters().droppedIncoming).toEqual({ 'slow audio.mic': 2 });
    expect(bus.counters().queueDepthMax).toBe(3);
  });

  it('removes every subscription of one owner and only that owner', () => {
    const bus = new MemoryBus();
    const a: number[] = [];
    const b: number[] = [];
    bus.subscribe('a', 'audio.mic', {}, ({ payload }) => void a.push(payload.sequence));
    bus.subscribe('a', 'service.status', { service: '+' }, () => void a.push(-1));
    bus.subscribe('b', 'audio.mic', {}, ({ payload }) => void b.push(payload.sequence));
    bus.publish('audio.mic', {}, frame(1));
    bus.unsubscribeAll('a');
    bus.publish('audio.mic', {}, frame(2));
    bus.publish('service.status', { service: 'x' }, { ...online, service: 'x' });
    expect(a).toEqual([1]);
    expect(b).toEqual([1, 2]);
  });

  it('hands a late subscriber the retained snapshot, flagged as retained', () => {
    const broker = new MemoryBroker();
    new MemoryBus(broker).publish('service.status', { service: 'dsp' }, online);
    const late = new MemoryBus(broker);
    const seen: boolean[] = [];
    late.subscribe('lcd', 'service.status', { service: '+' }, ({ retained }) => void seen.push(retained));
    expect(seen).toEqual([true]);
  });

  it('counts audio it cannot send while disconnected instead of queuing it', () => {
    const bus = new MemoryBus();
    bus.setOnline(false);
    expect(bus.publish('audio.mic', {}, frame(1))).toBe(false);
    expect(bus.counters()).toMatchObject({ connected: false, droppedOutgoing: { 'audio.mic': 1 } });
  });

  it('routes to subscriptions made or removed after traffic has flowed on a topic', () => {
    const bus = new MemoryBus();
    const early: number[] = [];
    const late: number[] = [];
    bus.subscribe('early', 'audio.mic', {}, ({ payload }) => void early.push(payload.sequence));
    bus.publish('audio.mic', {}, frame(1));
    bus.subscribe('late', 'audio.mic', {}, ({ payload }) => void late.push(payload.sequence));
    bus.publish('audio.mic', {}, frame(2));
    bus.unsubscribeAll('early');
    bus.publish('audio.mic', {}, frame(3));
    expect(early).toEqual([1, 2]);
    expect(late).toEqual([2, 3]);
  });

  it('gives a second subscriber on an already-subscribed filter the retained snapshot too', () => {
    const broker = new MemoryBroker();
    const bus = new MemoryBus(broker);
    const first: string[] = [];
    const second: string[] = [];
    bus.subscribe('lcd', 'service.status', { service: '+' }, ({ payload }) => void first.push(payload.status));
    new MemoryBus(broker).publish('service.status', { service: 'dsp' }, online);
    bus.subscribe('monitor', 'service.status', { service: '+' }, ({ payload, retained }) => void second.push(`${payload.status} ${retained}`));
    expect(first).toEqual(['online']);
    expect(second).toEqual(['online true']);
  });

  it('does not keep an invalid retained message as a snapshot for later subscribers', () => {
    const broker = new MemoryBroker();
    const bus = new MemoryBus(broker);
    bus.subscribe('lcd', 'service.status', { service: '+' }, () => {});
    broker.publishRaw('voxbus/dsp/status', '{"status":"maybe"}', true);
    expect(bus.counters().invalidReceived).toEqual({ 'service.status': 1 });
    const seen: unknown[] = [];
    bus.subscribe('monitor', 'service.status', { service: '+' }, ({ payload }) => void seen.push(payload));
    expect(seen).toEqual([]);
    expect(bus.counters().invalidReceived).toEqual({ 'service.status': 1 });
  });
});

