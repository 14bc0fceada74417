import { type Payload, TOPIC_KEYS } from '@voxbus/shared';
import { contractAccepts, Fuzzer, FuzzTally, speech } from '@voxbus/shared/testing';
import { describe, expect, it } from 'vitest';
import { ALL_SERVICES, listening, startBoardStack, turnReport } from '../helpers/board-stack.js';
import { cleanupAfterEach } from '../helpers/cleanup.js';
import { Probe } from '../helpers/probe.js';
import { waitFor } from '../helpers/wait.js';

const onCleanup = cleanupAfterEach();
type Metrics = Payload<'service.metrics'>;
type Status = { status: string; pid: number; startedAt: string };

/** Fixed, so a failure replays; TEST_FUZZ_SEED tries another. */
const SEED = Number(process.env.TEST_FUZZ_SEED ?? 20261126);
const MESSAGES = 2000;
const SERVICES = [...ALL_SERVICES, 'lcd'];

/** Each service's latest `bus.invalidReceived`, from its metrics after message index `after`. */
function invalidCounts(probe: Probe, after: number): Map<string, Record<string, number>> {
  const counts = new Map<string, Record<string, number>>();
  for (const message of probe.messages.slice(after)) {
    const match = /^voxbus\/([^/]+)\/metrics$/.exec(message.topic);
    if (match?.[1] && contractAccepts('service.metrics', message.payload)) counts.set(match[1], { ...(message.json as Metrics).bus.invalidReceived });
  }
  return counts;
}

describe('fuzzing the running stack over every consumed topic', () => {
  it(`counts every refused message at every consumer, crashes and restarts nothing, then answers a spoken question (seed ${SEED})`, async () => {
    const { board, probe, runner, url } = await startBoardStack(onCleanup, { VOXBUS_METRICS_INTERVAL_MS: '500' }, ['lcd']);
    const before = await Promise.all(SERVICES.map((name) => probe.waitForJson<Status>(`voxbus/${name}/status`, (s) => s.status === 'online', 15_000)));
    await waitFor('every service\'s metrics', () => SERVICES.every((name) => invalidCounts(probe, 0).has(name)) || undefined, 10_000);
    const baseline = invalidCounts(probe, 0);

    const sender = await Probe.connect(url, { reconnectPeriod: 0 });
    onCleanup(() => sender.close());
    const fuzzer = new Fuzzer(SEED);
    const tally = new FuzzTally();
    for (let i = 0; i < MESSAGES; i++) {
      const message = fuzzer.next();
      await sender.client.publishAsync(message.topic, message.payload, { qos: 1, retain: message.retain });
      tally.add(message);
    }
    expect(sender.drops, 'the fuzzing client was cut off').toEqual([]);

    // Settled: every service's counts the same in its last two metrics.
    const settledFrom = probe.messages.length;
    const lastTwo = (name: string) =>
      probe.messages
        .slice(settledFrom)
        .filter((m) => m.topic === `voxbus/${name}/metrics` && contractAccepts('service.metrics', m.payload))
        .slice(-2)
        .map((m) => JSON.stringify((m.json as Metrics).bus.invalidReceived));
    await waitFor('every service\'s invalid counts settled', () => SERVICES.every((name) => { const two = lastTwo(name); return two.length === 2 && two[0] === two[1]; }) || undefined, 20_000);
    const counted = invalidCounts(probe, settledFrom);

    // Every consumer counted every message it was sent: all of a key's, or all those naming it.
    const delta = new Map(
      SERVICES.map((name) => {
        const now = counted.get(name) ?? {};
        const was = baseline.get(name) ?? {};
        return [name, Object.fromEntries(Object.keys(now).map((key) => [key, (now[key] ?? 0) - (was[key] ?? 0)]))];
      }),
    );
    const { wrong, consumed } = tally.check(delta);
    expect(wrong, 'consumers whose count of refused messages is not what was sent to them').toEqual([]);
    const mustBeConsumed = TOPIC_KEYS.filter((key) => /^(audio\.|conversation\.cmd\.|playback\.cmd\.|dsp\.cmd\.|audio-capture\.cmd\.|realtime-gateway\.cmd\.|realtime-sim\.cmd\.)/.test(key) || key === 'service.describe.req');
    expect(mustBeConsumed.filter((key) => !consumed.has(key)), 'topics a service consumes whose fuzz nobody counted').toEqual([]);

    // Nothing crashed or restarted: the same processes, started when they were.
    const latest = SERVICES.map((name) => probe.messages.filter((m) => m.topic === `voxbus/${name}/status` && contractAccepts('service.status', m.payload)).at(-1)?.json as Status);
    expect(latest.map((s) => `${s.status} ${s.pid} ${s.startedAt}`)).toEqual(before.map((s) => `online ${s.pid} ${s.startedAt}`));
    expect(runner.lines.filter((line) => /\brestarted\b|exited with code|uncaught|"level":60/i.test(line)), 'restarts, exits and fatal lines').toEqual([]);

    // And the assistant still works.
    const start = probe.messages.length;
    await board.speak(await speech('Are you still there?', 48_000), 48_000);
    const report = await turnReport(probe, start);
    await listening(probe, start);
    expect(report.outcome).toBe('answered');
  }, 90_000);
});
