import '../lib/no-leftovers.js';
import type { ChildProcess } from 'node:child_process';
import { AcsPeer, type CallerPeer, FreeswitchPeer, freePort, samples, speech, waitForPort } from '@voxbus/shared/testing';
import mqtt from 'mqtt';
import { startAedesService, startService } from '../lib/processes.js';
import { writeResults } from '../lib/results.js';
import { percentiles, round3 } from '../lib/stats.js';

/**
 * npm run bench:telephony — a phone call through the telephony bridge, every service its own
 * process, the simulator as the model, in full duplex: a FreeSWITCH caller at 8 kHz and an ACS
 * caller at 16 kHz, BENCH_TELEPHONY_TURNS (default 20) questions each, after one warm-up turn.
 *
 * The caller is a test peer speaking the platform's protocol over the bridge's WebSocket, in real
 * time. Total: from the end of the caller's speech (when the frame holding its last loud sample
 * was sent) to the first loud reply audio the caller got back. The simulator says when the input
 * that ended the turn reached it and when it sent the first audio (realtime-sim/event/timing):
 * that is the model's own time (its end-of-turn wait with server VAD, its synthesis), as
 * bench:e2e counts it; the rest is the pipeline's (bridge, dsp, gateway, conversation-state, bus).
 */
const TURNS = Number(process.env.BENCH_TELEPHONY_TURNS ?? 20);
const LOUD = 300;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const nowUs = () => Number(process.hrtime.bigint() / 1000n);

interface Message {
  topic: string;
  json: Record<string, unknown>;
  atMs: number;
}

const PLATFORMS = [
  { platform: 'freeswitch', rateHz: 8000 },
  { platform: 'acs', rateHz: 16_000 },
] as const;

function summary(values: number[]) {
  const [p50, p99] = percentiles(values, [50, 99]);
  return { p50_ms: round3(p50 as number), p99_ms: round3(p99 as number), min_ms: round3(Math.min(...values)), max_ms: round3(Math.max(...values)), n: values.length };
}

/** The index of the last sample above LOUD, or -1. */
function lastLoud(pcm: Buffer): number {
  const values = samples(pcm);
  for (let i = values.length - 1; i >= 0; i--) if (Math.abs(values[i] as number) > LOUD) return i;
  return -1;
}

async function runPlatform(platform: 'freeswitch' | 'acs', rateHz: number, question: Buffer) {
  const broker = await startAedesService();
  const simPort = await freePort();
  const bridgePort = await freePort();
  const env = { VOXBUS_BUS__URL: broker.url, VOXBUS_LOG__LEVEL: 'warn' };
  const children: ChildProcess[] = [
    startService('realtime-sim', { ...env, VOXBUS_REALTIME_SIM__PORT: String(simPort) }),
    startService('realtime-gateway', { ...env, VOXBUS_REALTIME_GATEWAY__SIM_URL: `ws://127.0.0.1:${simPort}`, VOXBUS_REALTIME_GATEWAY__TRANSCRIPTION_MODEL: 'whisper-1' }),
    // No echo to cancel on a call (the README's telephony settings).
    startService('dsp', { ...env, VOXBUS_DSP__ECHO_CANCELLATION: 'false' }),
    startService('conversation-state', { ...env, VOXBUS_CONVERSATION_STATE__MODE: 'full-duplex' }),
    startService('telephony-bridge', { ...env, VOXBUS_TELEPHONY_BRIDGE__HOST: '127.0.0.1', VOXBUS_TELEPHONY_BRIDGE__PORT: String(bridgePort) }),
  ];
  const client = await mqtt.connectAsync(broker.url, { protocolVersion: 4 });
  client.on('error', (error) => console.error(`bench:telephony: the observing MQTT client: ${error.message}`));
  const messages: Message[] = [];
  client.on('message', (topic, payload) => messages.push({ topic, json: JSON.parse(payload.toString()) as Record<string, unknown>, atMs: Date.now() }));
  let caller: CallerPeer | undefined;
  const stop = async () => {
    caller?.stop();
    client.end(true);
    for (const child of children) child.kill('SIGTERM');
    await Promise.all(children.map((child) => (child.exitCode !== null || child.signalCode !== null ? undefined : new Promise((resolve) => child.once('exit', resolve)))));
    await broker.stop();
  };
  const waitFor = async (test: (m: Message) => boolean, from: number, timeoutMs: number, what: string): Promise<Message> => {
    for (const deadline = Date.now() + timeoutMs; Date.now() < deadline; await sleep(20)) {
      const found = messages.slice(from).find(test);
      if (found !== undefined) return found;
    }
    throw new Error(`bench:telephony (${platform}): no ${what} within ${timeoutMs} ms`);
  };
  const isListening = (m: Message) => m.topic === 'voxbus/conversation/state' && m.json.state === 'listening' && m.json.micOpen === true;
  try {
    await client.subscribeAsync(['voxbus/conversation/#', 'voxbus/realtime-sim/event/timing', 'voxbus/telephony-bridge/state'], { qos: 0 });
    await waitForPort(bridgePort, 30_000);
    const url = `ws://127.0.0.1:${bridgePort}`;
    caller = platform === 'freeswitch' ? await FreeswitchPeer.dial(url, rateHz) : await AcsPeer.dial(url, rateHz);
    await waitFor(isListening, 0, 60_000, 'listening conversation');
    const lastLoudMs = ((lastLoud(question) + 1) / rateHz) * 1000;
    const frameOfEnd = Math.floor(lastLoudMs / 20);
    const turns: { totalMs: number; simMs: number; pipelineMs: number }[] = [];
    process.stderr.write(`bench:telephony ${platform} ${rateHz / 1000} kHz: ${TURNS} turns…\n`);
    for (let turn = 0; turn <= TURNS; turn++) {
      const from = messages.length;
      const heardFrom = caller.received.length;
      const sentAtMs = await caller.say(question);
      // The frame holding the speech's last loud sample went at this time; the speech ended within it.
      const endMs = (sentAtMs[frameOfEnd] as number) + (lastLoudMs - frameOfEnd * 20);
      const report = await waitFor((m) => m.topic === 'voxbus/conversation/event/turn', from, 30_000, 'turn report');
      await waitFor(isListening, messages.indexOf(report), 20_000, 'listening again');
      if (turn === 0) continue; // warm-up: the model's session and every path are opened once
      if (report.json.outcome !== 'answered') throw new Error(`bench:telephony (${platform}): turn ${turn} ${String(report.json.outcome)}`);
      const first = caller.received.slice(heardFrom).find((r) => r.atMs > endMs && lastLoud(r.pcm) >= 0);
      const timing = messages.find((m) => m.topic === 'voxbus/realtime-sim/event/timing' && m.json.responseId === report.json.responseId);
      if (first === undefined || timing === undefined) throw new Error(`bench:telephony (${platform}): turn ${turn} without ${first === undefined ? 'reply audio at the caller' : 'the sim\'s timing'}`);
      const totalMs = first.atMs - endMs;
      const simMs = ((timing.json.firstAudioUs as number) - (timing.json.inputEndUs as number)) / 1000;
      turns.push({ totalMs, simMs, pipelineMs: totalMs - simMs });
      await sleep(300);
    }
    if (caller.unexpected.length > 0) throw new Error(`bench:telephony (${platform}): messages the platform would not understand: ${caller.unexpected.slice(0, 3).join(' | ')}`);
    await caller.hangUp();
    return {
      platform,
      callRateHz: rateHz,
      turns: turns.length,
      callerEndOfSpeechToFirstReplyAudio: summary(turns.map((t) => t.totalMs)),
      simulatorOwn: summary(turns.map((t) => t.simMs)),
      pipeline: summary(turns.map((t) => t.pipelineMs)),
      samples: turns.map((t) => ({ totalMs: round3(t.totalMs), simMs: round3(t.simMs), pipelineMs: round3(t.pipelineMs) })),
    };
  } finally {
    await stop();
  }
}

const startedUs = nowUs();
const results = [];
for (const { platform, rateHz } of PLATFORMS) {
  const question = await speech('What will the weather be like tomorrow?', rateHz);
  results.push(await runPlatform(platform, rateHz, question));
}
const path = writeResults('telephony', {
  method:
    'Each service its own process (Aedes broker), the simulator as the model (reply "You spoke for N seconds.", 4x real time), conversation-state full-duplex with the model\'s VAD, the dsp without echo cancellation (nothing to cancel on a call); a test peer speaking the platform\'s protocol over the bridge\'s WebSocket on localhost in real time, 20 ms frames. Total: the end of the caller\'s speech (send time of the frame with its last loud sample) to the first loud reply audio the caller got. Simulator: its own time from the input that ended the turn to its first audio (realtime-sim/event/timing, as bench:e2e). Pipeline = total - simulator. One warm-up turn per call, not counted.',
  turnsPerPlatform: TURNS,
  platforms: results,
  wallS: round3((nowUs() - startedUs) / 1e6),
});
for (const r of results) {
  const f = (s: { p50_ms: number; p99_ms: number }) => `p50 ${s.p50_ms.toFixed(0)} ms, p99 ${s.p99_ms.toFixed(0)} ms`;
  console.log(
    `${r.platform} ${r.callRateHz / 1000} kHz (${r.turns} turns): end of speech → first reply audio in the call ${f(r.callerEndOfSpeechToFirstReplyAudio)}; simulator ${f(r.simulatorOwn)}; pipeline ${f(r.pipeline)}`,
  );
}
console.log(`results: ${path}`);
