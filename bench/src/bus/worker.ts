import { randomBytes } from 'node:crypto';
import pino from 'pino';
import { type AudioFrame, MqttBus, systemClock, type TopicKey } from '@voxbus/shared';

/**
 * One process of the bus benchmark, driven over IPC by main.ts. Roles:
 *   source KEY          publishes 20 ms frames of 24 kHz mono s16 at 50 frames/s on KEY
 *   relay IN OUT        re-publishes every frame from IN on OUT, as a service in the chain would
 *   sink IN             records, per frame, monotonic receive time minus capture time
 */
type Role = ['source', TopicKey] | ['relay', TopicKey, TopicKey] | ['sink', TopicKey];

const [url, ...roleArgs] = process.argv.slice(2) as [string, ...string[]];
const role = roleArgs as Role;
const send = (message: unknown) => process.send?.(message);
const bus = new MqttBus({
  url,
  baseTopic: 'voxbus',
  clientId: `bench-${role[0]}-${randomBytes(3).toString('hex')}`,
  log: pino({ level: 'warn' }),
});

const FRAME_MS = 20;
/** Warm-up frames carry sequence numbers from here on; the sink ignores them. */
export const WARMUP_SEQUENCE_BASE = 0x8000_0000;
const SAMPLE_RATE_HZ = 24_000;
const pcm = new Uint8Array((SAMPLE_RATE_HZ * FRAME_MS) / 1000 * 2);

function withItem(key: TopicKey, frame: AudioFrame): AudioFrame {
  // audio/output frames carry the item they belong to, as the gateway's would.
  return key === 'audio.output' ? { ...frame, item: { responseId: 'resp_bench', itemId: 'item_bench', sampleOffset: (frame.sequence % 1_000_000) * 480 } } : frame;
}

if (role[0] === 'relay') {
  const [, input, output] = role;
  bus.subscribe('bench', input, {}, ({ payload }) => {
    const { item: _item, ...frame } = payload as AudioFrame;
    bus.publish(output, {}, withItem(output, frame) as never);
  });
} else if (role[0] === 'sink') {
  const latenciesUs: [number, number][] = [];
  bus.subscribe('bench', role[1], {}, ({ payload }) => {
    const frame = payload as AudioFrame;
    if (frame.sequence >= WARMUP_SEQUENCE_BASE) return;
    latenciesUs.push([frame.sequence, systemClock.monotonicUs() - frame.captureTimeUs]);
  });
  process.on('message', (message: { cmd: string }) => {
    if (message.cmd === 'report') send({ event: 'report', latenciesUs });
  });
}

if (role[0] === 'source') {
  const key = role[1];
  const frameAt = (sequence: number): AudioFrame =>
    withItem(key, { sampleRateHz: SAMPLE_RATE_HZ, channels: 1, sampleFormat: 's16le', sequence, captureTimeUs: systemClock.monotonicUs(), pcm });
  /** Publishes `count` frames from `firstSequence`, one every `periodMs`, without drift; resolves after the last. */
  const paced = (firstSequence: number, count: number, periodMs: number): Promise<void> =>
    new Promise((resolve) => {
      const startMs = performance.now();
      let sent = 0;
      const tick = (): void => {
        bus.publish(key, {}, frameAt(firstSequence + sent) as never);
        sent++;
        if (sent >= count) return resolve();
        setTimeout(tick, Math.max(0, startMs + sent * periodMs - performance.now()));
      };
      tick();
    });
  process.on('message', (message: { cmd: string; frames: number; warmupFrames: number }) => {
    if (message.cmd !== 'run') return;
    void (async () => {
      // JIT warm-up at 1 frame/ms: V8 optimises the hot path as it would under a running board's
      // several streams. Not measured; then a pause so the measured frames start on a quiet bus.
      if (message.warmupFrames > 0) {
        await paced(WARMUP_SEQUENCE_BASE, message.warmupFrames, 1);
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
      await paced(0, message.frames, FRAME_MS);
      send({ event: 'done', dropped: bus.counters().droppedOutgoing });
    })();
  });
}

process.on('message', (message: { cmd: string }) => {
  if (message.cmd === 'stop') void bus.close(500).then(() => process.exit(0));
});
bus.onConnectionChange((connected) => {
  if (connected) send({ event: 'connected' });
});
bus.connect();
