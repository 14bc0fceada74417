import '../lib/no-leftovers.js';
import { type Payload, readPssBytes } from '@voxbus/shared';
import { contractAccepts, Fuzzer, FuzzTally, speech, startVirtualBoard } from '@voxbus/shared/testing';
import mqtt from 'mqtt';
import { writeResults } from '../lib/results.js';
import { MIC_RATE_HZ, type Message, sleep, startStack } from '../e2e/stack.js';

/**
 * npm run bench:fuzz — the whole assistant on the virtual board (every service its own process,
 * the simulator as the model), then BENCH_FUZZ_MESSAGES (default 100,000) messages the contract
 * refuses, over every topic and every kind of damage (shared/src/testing/fuzz.ts; seed
 * BENCH_FUZZ_SEED), published at QoS 1 one after another. Reports crashes (a service process
 * that exited), restarts (a service whose status says it started again), whether every consumer
 * counted every message it was sent (metrics `bus.invalidReceived`), PSS per service before and
 * after, and whether a spoken question is still answered.
 */
const MESSAGES = Number(process.env.BENCH_FUZZ_MESSAGES ?? 100_000);
const SEED = Number(process.env.BENCH_FUZZ_SEED ?? 20261126);
const MIB = 1024 * 1024;
const round1 = (value: number) => Math.round(value * 10) / 10;
type Metrics = Payload<'service.metrics'>;

/** Each service's latest metrics or status, from the recorded bus after `from`. */
function latest(messages: readonly Message[], from: number, suffix: 'metrics' | 'status'): Map<string, Record<string, unknown>> {
  const found = new Map<string, Record<string, unknown>>();
  for (const message of messages.slice(from)) {
    const match = new RegExp(`^voxbus/([^/]+)/${suffix}$`).exec(message.topic);
    if (match?.[1] && message.json && contractAccepts(suffix === 'status' ? 'service.status' : 'service.metrics', message.payload)) found.set(match[1], message.json);
  }
  return found;
}

const invalidOf = (metrics: Record<string, unknown> | undefined): Record<string, number> => ({ ...((metrics as Metrics | undefined)?.bus.invalidReceived ?? {}) });

async function main(): Promise<void> {
  const board = await startVirtualBoard();
  const stack = await startStack(board, { name: 'fuzz', env: {}, reply: 'You spoke for {seconds} seconds.', extraTopics: ['voxbus/+/metrics', 'voxbus/+/status'] });
  try {
    const names = stack.processes.map((p) => p.name);
    await stack.waitFor(() => names.every((name) => latest(stack.messages, 0, 'metrics').has(name)), 0, 15_000, 'metrics from every service');
    const statusBefore = latest(stack.messages, 0, 'status');
    const baseline = latest(stack.messages, 0, 'metrics');
    const pssBefore = new Map(stack.processes.map((p) => [p.name, readPssBytes(p.pid) ?? 0]));

    const sender = await mqtt.connectAsync(stack.url, { protocolVersion: 4, reconnectPeriod: 0 });
    let senderDropped = false;
    sender.on('close', () => {
      senderDropped = true;
    });
    const fuzzer = new Fuzzer(SEED);
    const tally = new FuzzTally();
    const startedMs = Date.now();
    // PSS every quarter of the way: a leak keeps growing, a high-water mark levels off.
    const pssAlong: { sent: number; pssMiB: Record<string, number> }[] = [];
    const samplePss = (sent: number) => pssAlong.push({ sent, pssMiB: Object.fromEntries(stack.processes.map((p) => [p.name, round1((readPssBytes(p.pid) ?? 0) / MIB)])) });
    samplePss(0);
    for (let i = 0; i < MESSAGES && !senderDropped; i++) {
      const message = fuzzer.next();
      await sender.publishAsync(message.topic, message.payload, { qos: 1, retain: message.retain });
      tally.add(message);
      if ((i + 1) % 10_000 === 0) console.error(`bench:fuzz: ${i + 1} sent (${((Date.now() - startedMs) / 1000).toFixed(0)} s)`);
      if ((i + 1) % Math.max(1, Math.floor(MESSAGES / 4)) === 0) samplePss(i + 1);
    }
    const fuzzS = (Date.now() - startedMs) / 1000;
    // Cut off by the broker while fuzzing (its own end below closes it too).
    const droppedWhileFuzzing = senderDropped;
    sender.end(true);

    // Settled: two metrics in a row with the same counts, for every service.
    const from = stack.messages.length;
    const lastTwo = (name: string) =>
      stack.messages
        .slice(from)
        .filter((m) => m.topic === `voxbus/${name}/metrics` && contractAccepts('service.metrics', m.payload))
        .slice(-2)
        .map((m) => JSON.stringify(invalidOf(m.json)));
    await stack.waitFor(() => names.every((name) => { const two = lastTwo(name); return two.length === 2 && two[0] === two[1]; }), from, 60_000, 'settled invalid counts');
    const after = latest(stack.messages, from, 'metrics');
    const delta = new Map(
      names.map((name) => {
        const now = invalidOf(after.get(name));
        const was = invalidOf(baseline.get(name));
        return [name, Object.fromEntries(Object.keys(now).map((key) => [key, (now[key] ?? 0) - (was[key] ?? 0)]))];
      }),
    );
    const check = tally.check(delta);
    const pssAfter = new Map(stack.processes.map((p) => [p.name, readPssBytes(p.pid) ?? 0]));
    const statusAfter = latest(stack.messages, 0, 'status');
    const crashed = stack.processes.filter((p) => p.child !== undefined && (p.child.exitCode !== null || p.child.signalCode !== null)).map((p) => p.name);
    const restarted = names.filter((name) => statusAfter.get(name)?.startedAt !== statusBefore.get(name)?.startedAt || statusAfter.get(name)?.status !== 'online');

    // Still an assistant: a spoken question answered.
    const turnFrom = stack.messages.length;
    await board.speak(await speech('Are you still there?', MIC_RATE_HZ), MIC_RATE_HZ);
    const turn = await stack.waitFor((m) => m.topic === 'voxbus/conversation/event/turn', turnFrom, 30_000, 'the turn after the fuzzing').catch(() => undefined);
    await sleep(500);

    const heapOf = (metrics: Record<string, unknown> | undefined) => round1(((metrics as Metrics | undefined)?.process.heapUsedBytes ?? 0) / MIB);
    const perService = names.map((name) => ({
      service: name,
      invalidCounted: Object.values(delta.get(name) ?? {}).reduce((sum, n) => sum + n, 0),
      pssBeforeMiB: round1((pssBefore.get(name) ?? 0) / MIB),
      pssAfterMiB: round1((pssAfter.get(name) ?? 0) / MIB),
      heapUsedBeforeMiB: heapOf(baseline.get(name)),
      heapUsedAfterMiB: heapOf(after.get(name)),
      pssAlongMiB: pssAlong.map((sample) => sample.pssMiB[name] ?? 0),
    }));
    const result = {
      seed: SEED,
      messagesSent: tally.total,
      fuzzSeconds: round1(fuzzS),
      messagesPerSecond: Math.round(tally.total / fuzzS),
      senderDropped: droppedWhileFuzzing,
      crashed,
      restarted,
      countedAtConsumers: check.countedTotal,
      consumedKeys: check.consumed.size,
      countMismatches: check.wrong,
      turnAfterwards: (turn?.json?.outcome as string | undefined) ?? 'none',
      pssSampledAtSent: pssAlong.map((sample) => sample.sent),
      perService,
    };
    for (const row of perService) {
      console.log(
        `${row.service.padEnd(20)} invalid counted ${String(row.invalidCounted).padStart(7)}   PSS ${row.pssAlongMiB.join(' → ')} → ${row.pssAfterMiB} MiB   heap used ${row.heapUsedBeforeMiB} → ${row.heapUsedAfterMiB} MiB`,
      );
    }
    console.log(
      `bench:fuzz: ${tally.total} refused messages in ${result.fuzzSeconds} s (seed ${SEED}); crashes ${crashed.length}, restarts ${restarted.length}; ` +
        `${check.countedTotal} counted at consumers over ${check.consumed.size} topics, ${check.wrong.length} mismatches; turn afterwards: ${result.turnAfterwards}`,
    );
    for (const line of check.wrong) console.log(`  mismatch: ${line}`);
    console.log(`wrote ${writeResults('fuzz', result)}`);
    if (droppedWhileFuzzing || crashed.length > 0 || restarted.length > 0 || check.wrong.length > 0 || result.turnAfterwards !== 'answered') process.exitCode = 1;
  } finally {
    await stack.stop();
    await board.stop();
  }
}

main().catch((error: unknown) => {
  console.error(`bench:fuzz failed: ${(error as Error).stack ?? String(error)}`);
  process.exitCode = 1;
});
