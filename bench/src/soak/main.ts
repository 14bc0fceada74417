import '../lib/no-leftovers.js';
import { decodeAudioFrame, type Payload, readPssBytes } from '@voxbus/shared';
import { speech, startVirtualBoard } from '@voxbus/shared/testing';
import mqtt from 'mqtt';
import { writeResults } from '../lib/results.js';
import { MIC_RATE_HZ, sleep, startStack } from '../e2e/stack.js';

/**
 * npm run bench:soak — the whole assistant on the virtual board for BENCH_SOAK_MINUTES (default
 * 60), every service its own process, the simulator as the model, a spoken question every
 * BENCH_SOAK_TURN_EVERY_S (default 15). Reports each service's PSS every minute and its drift
 * (the mean of the last twelfth of the run against the mean of the second twelfth, after the
 * warm-up: minutes 55-60 against 5-10 in an hour; goal under 5 %), the turns answered, and lost frames on loopback: gaps in the microphone stream as
 * a bus client sees it (audio/mic sequence numbers) and as the dsp counts them (input.lostMs).
 */
const MINUTES = Number(process.env.BENCH_SOAK_MINUTES ?? 60);
const TURN_EVERY_S = Number(process.env.BENCH_SOAK_TURN_EVERY_S ?? 15);
const MIB = 1024 * 1024;
const round1 = (value: number) => Math.round(value * 10) / 10;
const mean = (values: readonly number[]) => (values.length === 0 ? Number.NaN : values.reduce((sum, v) => sum + v, 0) / values.length);
type Metrics = Payload<'service.metrics'>;

async function main(): Promise<void> {
  const board = await startVirtualBoard();
  const stack = await startStack(board, { name: 'soak', env: {}, reply: 'You spoke for {seconds} seconds.', extraTopics: ['voxbus/+/metrics'] });
  // The microphone stream as any bus client sees it: its sequence numbers, counted apart from the recorder of the conversation.
  const observer = await mqtt.connectAsync(stack.url, { protocolVersion: 4 });
  let micFrames = 0;
  let micGapFrames = 0;
  let lastSequence: number | undefined;
  observer.on('message', (_topic, payload) => {
    const frame = decodeAudioFrame(payload);
    // A gap forward is frames lost; a step back is the stream starting again (a restart), not a loss.
    if (lastSequence !== undefined && frame.sequence > lastSequence) micGapFrames += frame.sequence - lastSequence - 1;
    lastSequence = frame.sequence;
    micFrames++;
  });
  await observer.subscribeAsync('voxbus/audio/mic', { qos: 0 });
  const lastMetrics = (service: string) => stack.messages.findLast((m) => m.topic === `voxbus/${service}/metrics`)?.json as Metrics | undefined;
  const lastHeapUsedMiB = (service: string) => {
    const bytes = lastMetrics(service)?.process.heapUsedBytes;
    return bytes === undefined || bytes === null ? null : round1(bytes / MIB);
  };
  try {
    const questions = await Promise.all(['What is the weather like?', 'Turn on the lights.', 'How long did I speak?'].map((text) => speech(text, MIC_RATE_HZ)));
    const startedMs = Date.now();
    const endMs = startedMs + MINUTES * 60_000;
    const pssByMinute: Record<string, number>[] = [];
    const heapUsedByMinute: Record<string, number | null>[] = [];
    const outcomes: Record<string, number> = {};
    let turns = 0;
    let nextPssMs = startedMs;
    while (Date.now() < endMs) {
      const turnStartMs = Date.now();
      if (turnStartMs >= nextPssMs) {
        pssByMinute.push(Object.fromEntries(stack.processes.map((p) => [p.name, round1((readPssBytes(p.pid) ?? 0) / MIB)])));
        // The JavaScript heap in use, as each service last reported it: growth there is a leak in our code; PSS growing without it is the allocators.
        heapUsedByMinute.push(Object.fromEntries(stack.processes.map((p) => [p.name, lastHeapUsedMiB(p.name)])));
        nextPssMs += 60_000;
        const minute = pssByMinute.length - 1;
        if (minute % 5 === 0) console.error(`bench:soak: minute ${minute}, ${turns} turns, PSS ${JSON.stringify(pssByMinute[minute])}`);
      }
      const from = stack.messages.length;
      await board.speak(questions[turns % questions.length] as Buffer, MIC_RATE_HZ);
      const turn = await stack.waitFor((m) => m.topic === 'voxbus/conversation/event/turn', from, 30_000, `turn ${turns + 1}`).catch(() => undefined);
      const outcome = (turn?.json?.outcome as string | undefined) ?? 'none';
      outcomes[outcome] = (outcomes[outcome] ?? 0) + 1;
      turns++;
      await stack.waitFor(stack.isListening, from, 30_000, 'listening again').catch(() => undefined);
      // Keep only what the next turn needs: an hour of the bus would otherwise be the benchmark's own leak.
      if (stack.messages.length > 50_000) stack.messages.splice(0, stack.messages.length - 1000);
      await sleep(Math.max(0, turnStartMs + TURN_EVERY_S * 1000 - Date.now()));
    }
    const services = stack.processes.map((p) => p.name);
    // A twelfth of the run (5 minutes of 60) to warm up, the next twelfth as the baseline, the last twelfth as the end.
    const span = Math.max(1, Math.floor(pssByMinute.length / 12));
    const baselineWindow = pssByMinute.slice(span, 2 * span);
    const finalWindow = pssByMinute.slice(Math.max(2 * span, pssByMinute.length - span));
    const perService = services.map((name) => {
      const baseline = mean(baselineWindow.map((row) => row[name] ?? 0));
      const final = mean(finalWindow.map((row) => row[name] ?? 0));
      // The second half alone: growth still going on once the warm-up is long over (a leak), apart from settling.
      const half = Math.floor(pssByMinute.length / 2);
      const middle = mean(pssByMinute.slice(Math.max(0, half - span), half).map((row) => row[name] ?? 0));
      // CPU over the whole run, from the service's own last report (the broker's and the simulator's too where they report).
      const report = lastMetrics(name);
      const cpuPercent = report === undefined ? null : round1(((report.process.cpuUserUs + report.process.cpuSystemUs) / 1000 / report.uptimeMs) * 100);
      return {
        service: name,
        cpuPercent,
        baselinePssMiB: round1(baseline),
        finalPssMiB: round1(final),
        driftPercent: round1(((final - baseline) / baseline) * 100),
        secondHalfDriftPercent: round1(((final - middle) / middle) * 100),
      };
    });
    const dspLostMs = lastMetrics('dsp')?.counters['input.lostMs'] ?? null;
    const deviceLostFrames = lastMetrics('audio-capture')?.counters['frames.lostFrames'] ?? null;
    const result = {
      minutes: MINUTES,
      turnEveryS: TURN_EVERY_S,
      turns,
      outcomes,
      micFramesSeen: micFrames,
      micGapFramesOnBus: micGapFrames,
      dspInputLostMs: dspLostMs,
      captureDeviceLostFrames: deviceLostFrames,
      perService,
      pssByMinuteMiB: pssByMinute,
      heapUsedByMinuteMiB: heapUsedByMinute,
    };
    const signed = (value: number) => `${value >= 0 ? '+' : ''}${value} %`;
    for (const row of perService) console.log(`${row.service.padEnd(20)} PSS ${row.baselinePssMiB} → ${row.finalPssMiB} MiB (${signed(row.driftPercent)}; second half ${signed(row.secondHalfDriftPercent)}), CPU ${row.cpuPercent ?? '?'} %`);
    console.log(
      `bench:soak: ${MINUTES} min, ${turns} turns (${JSON.stringify(outcomes)}); microphone frames on the bus ${micFrames}, lost ${micGapFrames}; dsp input lost ${dspLostMs} ms; ` +
        `largest PSS drift ${Math.max(...perService.map((row) => Math.abs(row.driftPercent)))} %`,
    );
    console.log(`wrote ${writeResults('soak', result)}`);
  } finally {
    observer.end(true);
    await stack.stop();
    await board.stop();
  }
}

main().catch((error: unknown) => {
  console.error(`bench:soak failed: ${(error as Error).stack ?? String(error)}`);
  process.exitCode = 1;
});
