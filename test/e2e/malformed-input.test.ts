import { describe, expect, it } from 'vitest';
import { cleanupAfterEach } from '../helpers/cleanup.js';
import { encodeAudioFrame, type Payload } from '@voxbus/shared';
import { waitForPort } from '../helpers/ports.js';
import { Probe } from '../helpers/probe.js';
import { stackPorts, startRunner } from '../helpers/processes.js';
import { waitFor } from '../helpers/wait.js';

/** What a service publishes on voxbus/<service>/metrics. */
type Metrics = Payload<'service.metrics'>;

const onCleanup = cleanupAfterEach();

const frame = (sequence: number) =>
  encodeAudioFrame({ sampleRateHz: 48_000, channels: 2, sampleFormat: 's16le', sequence, captureTimeUs: sequence * 20_000, pcm: new Uint8Array(960 * 4) });

describe('malformed payloads reaching running services', () => {
  it('are counted and logged with their topic, and the receiving services keep working', async () => {
    const ports = await stackPorts();
    const runner = startRunner(['broker', 'mic-counter'], ports.env);
    onCleanup(() => runner.stop('SIGKILL'));
    await waitForPort(ports.tcpPort, 15_000);
    const peer = await Probe.connect(ports.url, { reconnectPeriod: 100, connectTimeout: 10_000 });
    onCleanup(() => peer.close());
    await peer.subscribe('voxbus/#');
    await peer.waitForJson('voxbus/mic-counter/status', (s: { status: string }) => s.status === 'online', 15_000);
    await peer.waitForJson('voxbus/broker/status', (s: { status: string }) => s.status === 'online', 15_000);

    // Audio topic: garbage, a truncated frame, a WAV header where a frame belongs; then good frames.
    await peer.publish('voxbus/audio/mic', 'hello');
    await peer.publish('voxbus/audio/mic', frame(1).subarray(0, 50));
    await peer.publish('voxbus/audio/mic', Buffer.concat([Buffer.from('RIFF$\u0000\u0000\u0000WAVEfmt '), Buffer.alloc(40)]));
    for (let sequence = 2; sequence < 7; sequence++) await peer.publish('voxbus/audio/mic', frame(sequence));
    // JSON topic: not JSON, a wrong field type, an unknown field; then a good request.
    await peer.publish('voxbus/broker/req/describe', '{"requestId":');
    await peer.publish('voxbus/broker/req/describe', JSON.stringify({ requestId: 7 }));
    await peer.publish('voxbus/broker/req/describe', JSON.stringify({ requestId: 'a', please: true }));
    await peer.publish('voxbus/broker/req/describe', JSON.stringify({ requestId: 'good-1' }));

    const answer = await peer.waitForJson<{ requestId: string; ok: boolean; data: { service: string; config: unknown } }>(
      'voxbus/broker/res/describe',
      (r) => r.requestId === 'good-1',
    );
    expect(answer).toMatchObject({ ok: true, data: { service: 'broker' } });

    const counterMetrics = await peer.waitForJson<Metrics>('voxbus/mic-counter/metrics', (m) => (m.counters['frames.received'] ?? 0) >= 5);
    expect(counterMetrics.bus.invalidReceived['audio.mic']).toBe(3);
    expect(counterMetrics.counters).toMatchObject({ 'frames.received': 5, 'frames.sequenceGaps': 0 });
    // A sample taken after all three (one taken between them would show fewer).
    const brokerMetrics = await peer.waitForJson<Metrics>('voxbus/broker/metrics', (m) => (m.bus.invalidReceived['service.describe.req'] ?? 0) >= 3);
    expect(brokerMetrics.bus.invalidReceived['service.describe.req']).toBe(3);

    const logged = await waitFor('the log line', () =>
      runner.lines.find((line) => line.includes('invalid message dropped') && line.includes('"topic":"voxbus/audio/mic"')),
    );
    expect(logged).toMatch(/^\[mic-counter\]/);
    expect(runner.lines.some((line) => line.includes('invalid message dropped') && line.includes('"topic":"voxbus/broker/req/describe"'))).toBe(true);
    // Both still alive: no restarts happened.
    expect(runner.lines.some((line) => line.includes('restarted'))).toBe(false);
  });
});
