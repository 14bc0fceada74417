import '../lib/no-leftovers.js';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { speech, startVirtualBoard } from '@voxbus/shared/testing';
import mqtt from 'mqtt';
import { BENCH_ROOT, writeResults } from '../lib/results.js';
import { type Message, MIC_RATE_HZ, sleep, startStack } from '../e2e/stack.js';

/**
 * npm run bench:traffic — what a monitor sees on the bus: every message but audio, counted by
 * topic, during BENCH_TRAFFIC_SECONDS (default 60) of an idle assistant and as long of a
 * conversation (a question spoken into the virtual microphone as soon as the last reply ended).
 * The whole assistant runs as the run command starts it (every service its own process, Aedes,
 * the simulator as the model, the defaults). A committed `traffic-baseline.json` (a run of the
 * code before the bus was made quieter) is the figure the ratios are taken against.
 */
const SECONDS = Number(process.env.BENCH_TRAFFIC_SECONDS ?? 60);
const SETTLE_MS = 5000;
const REPLY = 'It will be sunny tomorrow.';
/** The services' own default (the benches' stack asks for metrics once a second). */
const METRICS_INTERVAL_MS = '10000';

interface TopicCount {
  messages: number;
  bytes: number;
}

interface Window {
  seconds: number;
  messagesPerS: number;
  bytesPerS: number;
  byTopic: Record<string, TopicCount & { messagesPerS: number; bytesPerS: number }>;
  audio: { messagesPerS: number; bytesPerS: number };
}

/** Counts what arrives (retained copies sent on subscribe left out) from start() to stop(). */
function counter(client: mqtt.MqttClient) {
  let counting = false;
  let startedMs = 0;
  let byTopic = new Map<string, TopicCount>();
  let audio: TopicCount = { messages: 0, bytes: 0 };
  client.on('message', (topic, payload, packet) => {
    if (!counting || packet.retain) return;
    // Bytes as the broker sends them: the topic and the payload (the fixed header left out).
    const bytes = Buffer.byteLength(topic) + payload.length;
    const count = topic.startsWith('voxbus/audio/') ? audio : byTopic.get(topic) ?? { messages: 0, bytes: 0 };
    count.messages += 1;
    count.bytes += bytes;
    if (!topic.startsWith('voxbus/audio/')) byTopic.set(topic, count);
  });
  return {
    start() {
      byTopic = new Map();
      audio = { messages: 0, bytes: 0 };
      startedMs = Date.now();
      counting = true;
    },
    stop(): Window {
      counting = false;
      const seconds = (Date.now() - startedMs) / 1000;
      const rate = (n: number) => Math.round((n / seconds) * 100) / 100;
      const topics = [...byTopic.entries()].sort((a, b) => b[1].bytes - a[1].bytes);
      const total = topics.reduce((sum, [, c]) => ({ messages: sum.messages + c.messages, bytes: sum.bytes + c.bytes }), { messages: 0, bytes: 0 });
      return {
        seconds: Math.round(seconds * 10) / 10,
        messagesPerS: rate(total.messages),
        bytesPerS: rate(total.bytes),
        byTopic: Object.fromEntries(topics.map(([topic, c]) => [topic.replace(/^voxbus\//, ''), { ...c, messagesPerS: rate(c.messages), bytesPerS: rate(c.bytes) }])),
        audio: { messagesPerS: rate(audio.messages), bytesPerS: rate(audio.bytes) },
      };
    },
  };
}

const board = await startVirtualBoard();
const question = await speech('What will the weather be like tomorrow?', MIC_RATE_HZ);
const windows: Record<string, Window> = {};
let turns = 0;
try {
  const stack = await startStack(board, { name: 'traffic', env: {}, reply: REPLY, serviceEnv: { VOXBUS_METRICS_INTERVAL_MS: METRICS_INTERVAL_MS } });
  const client = await mqtt.connectAsync(stack.url, { protocolVersion: 4 });
  client.on('error', (error) => console.error(`bench:traffic: the counting MQTT client: ${error.message}`));
  try {
    await client.subscribeAsync('voxbus/#', { qos: 0 });
    const count = counter(client);
    await sleep(SETTLE_MS);
    count.start();
    await sleep(SECONDS * 1000);
    windows.idle = count.stop();

    count.start();
    const endMs = Date.now() + SECONDS * 1000;
    const isAnswered = (m: Message) => m.topic === 'voxbus/conversation/event/turn' && m.json?.outcome === 'answered';
    while (Date.now() < endMs) {
      const from = stack.messages.length;
      await board.speak(question, MIC_RATE_HZ);
      const answered = await stack.waitFor(isAnswered, from, 30_000, 'answered turn');
      await stack.waitFor(stack.isListening, stack.messages.indexOf(answered), 20_000, 'listening after the reply');
      turns += 1;
    }
    windows.conversation = count.stop();
  } finally {
    client.end(true);
    await stack.stop();
  }
} finally {
  await board.stop();
}

const NAME = process.env.BENCH_TRAFFIC_NAME ?? 'traffic';
const baselinePath = join(BENCH_ROOT, 'results', 'traffic-baseline.json');
// A run written as the baseline is not compared with the one it replaces.
const baseline = NAME !== 'traffic-baseline' && existsSync(baselinePath) ? (JSON.parse(readFileSync(baselinePath, 'utf8')) as { windows: Record<string, Window> }) : undefined;
const ratios = baseline
  ? Object.fromEntries(
      Object.entries(windows).map(([name, w]) => {
        const before = baseline.windows[name];
        return [name, before ? { messages: Math.round((w.messagesPerS / before.messagesPerS) * 1000) / 1000, bytes: Math.round((w.bytesPerS / before.bytesPerS) * 1000) / 1000 } : null];
      }),
    )
  : undefined;
const path = writeResults(NAME, {
  seconds: SECONDS,
  conversationTurns: turns,
  windows,
  ...(ratios ? { againstBaseline: ratios } : {}),
  definitions: {
    traffic: 'every message on voxbus/# but voxbus/audio/# (the monitor view), as a QoS 0 subscriber receives it; retained copies sent on subscribe left out',
    bytes: 'topic + payload bytes per message (the MQTT fixed header left out)',
    againstBaseline: 'this run over traffic-baseline.json (the same bench on the code before the bus was made quieter): 0.5 is half',
  },
  method: `the whole assistant on the virtual board (every service its own process, Aedes, the simulator as the model, the defaults: auto mode, the model's VAD, metrics every 10 s); ${SETTLE_MS / 1000} s to settle after it listens, then ${SECONDS} s idle, then ${SECONDS} s of questions, each spoken as soon as the last reply ended ("${REPLY}")`,
});

for (const [name, w] of Object.entries(windows)) {
  console.log(`\n${name}: ${w.messagesPerS} messages/s, ${w.bytesPerS} bytes/s without audio (audio: ${w.audio.messagesPerS} messages/s, ${w.audio.bytesPerS} bytes/s)`);
  if (ratios?.[name]) console.log(`  against the baseline: ${ratios[name].messages}× the messages, ${ratios[name].bytes}× the bytes`);
  console.log('  topic                                    msg/s     bytes/s');
  for (const [topic, c] of Object.entries(w.byTopic)) console.log(`  ${topic.padEnd(40)} ${c.messagesPerS.toFixed(2).padStart(6)} ${c.bytesPerS.toFixed(0).padStart(11)}`);
}
console.log(`\n${turns} turns in the conversation window; written to ${path}`);
process.exit(0);
