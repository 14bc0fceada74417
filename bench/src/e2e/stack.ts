import type { ChildProcess } from 'node:child_process';
import { decodeAudioFrame } from '@voxbus/shared';
import { align, bestMatch, loudSpans, playedUntil, type Recording, samples, type VirtualBoard } from '@voxbus/shared/testing';
import mqtt from 'mqtt';
import { freePort, startAedesService, startService } from '../lib/processes.js';
import { percentiles, round3 } from '../lib/stats.js';

export const RATE_HZ = 24_000;
export const MIC_RATE_HZ = 48_000;

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
export const nowUs = () => Number(process.hrtime.bigint() / 1000n);

export interface Message {
  topic: string;
  json: Record<string, unknown> | undefined;
  payload: Buffer;
  atUs: number;
}

export interface StackOptions {
  readonly name: string;
  /** conversation-state's settings, and the simulator's reply. */
  readonly env: Record<string, string>;
  readonly reply: string;
  /** Topics recorded besides the conversation's, playback's items, both VADs and the sim's timing. */
  readonly extraTopics?: readonly string[];
  /** Settings for every service (after the bench's own, such as metrics once a second). */
  readonly serviceEnv?: Record<string, string>;
}

export type Stack = Awaited<ReturnType<typeof startStack>>;

/**
 * The whole assistant on the virtual board, every service its own process as the run command
 * starts them, the simulator as the model, and a client recording the bus; resolves once the
 * conversation listens.
 */
export async function startStack(board: VirtualBoard, options: StackOptions) {
  const broker = await startAedesService();
  const simPort = await freePort();
  const env = { ...board.env, VOXBUS_BUS__URL: broker.url, ...options.serviceEnv };
  const names = ['realtime-sim', 'realtime-gateway', 'audio-capture', 'dsp', 'playback', 'conversation-state'];
  const children: ChildProcess[] = [
    startService('realtime-sim', { ...env, VOXBUS_REALTIME_SIM__PORT: String(simPort), VOXBUS_REALTIME_SIM__REPLY_TEMPLATE: options.reply }),
    startService('realtime-gateway', { ...env, VOXBUS_REALTIME_GATEWAY__SIM_URL: `ws://127.0.0.1:${simPort}`, VOXBUS_REALTIME_GATEWAY__TRANSCRIPTION_MODEL: 'whisper-1' }),
    startService('audio-capture', { ...env, VOXBUS_AUDIO_CAPTURE__DEVICE: board.micDevice }),
    startService('dsp', { ...env, ...(process.env.BENCH_LOG_DIR !== undefined ? { VOXBUS_LOG__LEVEL: process.env.BENCH_LOG_LEVEL ?? 'info' } : {}) }),
    startService('playback', { ...env, VOXBUS_PLAYBACK__DEVICE: board.speakerDevice }),
    startService('conversation-state', { ...env, ...options.env }),
  ];
  const stop = async () => {
    client?.end(true);
    for (const child of children) child.kill('SIGTERM');
    await Promise.all(children.map((child) => (child.exitCode !== null || child.signalCode !== null ? undefined : new Promise((resolve) => child.once('exit', resolve)))));
    await broker.stop();
  };
  let client: mqtt.MqttClient | undefined;
  try {
    client = await mqtt.connectAsync(broker.url, { protocolVersion: 4 });
  } catch (error) {
    await stop();
    throw error;
  }
  // A dropped connection is said, not thrown as a bare uncaught ECONNRESET.
  client.on('error', (error) => console.error(`bench:e2e: the observing MQTT client: ${error.message}`));
  const messages: Message[] = [];
  client.on('message', (topic, payload) => {
    let json: Record<string, unknown> | undefined;
    if (!topic.startsWith('voxbus/audio/')) {
      try {
        json = JSON.parse(payload.toString()) as Record<string, unknown>;
      } catch {
        json = undefined;
      }
    }
    messages.push({ topic, json, payload, atUs: nowUs() });
  });
  const waitFor = async (test: (m: Message) => boolean, from: number, timeoutMs: number, what: string): Promise<Message> => {
    for (const deadline = Date.now() + timeoutMs; Date.now() < deadline; await sleep(20)) {
      const found = messages.slice(from).find(test);
      if (found !== undefined) return found;
    }
    throw new Error(`bench:e2e (${options.name}): no ${what} within ${timeoutMs} ms`);
  };
  const isListening = (m: Message) => m.topic === 'voxbus/conversation/state' && m.json?.state === 'listening' && m.json.micOpen === true;
  try {
    await client.subscribeAsync(
      [
        'voxbus/conversation/#',
        'voxbus/playback/event/item',
        // Pauses, resumes and flushes: how often and how long a voice (or a noise, or the echo) held a reply.
        'voxbus/playback/cmd/#',
        'voxbus/realtime-gateway/event/vad',
        'voxbus/realtime-gateway/event/response',
        'voxbus/dsp/event/vad',
        'voxbus/dsp/state',
        'voxbus/realtime-sim/event/timing',
        'voxbus/audio/output',
        ...(options.extraTopics ?? []),
      ],
      { qos: 0 },
    );
    await waitFor(isListening, 0, 60_000, 'listening conversation');
  } catch (error) {
    await stop();
    throw error;
  }
  /** Each service's process (the broker's included), for memory and liveness. */
  const processes = [{ name: 'broker', pid: broker.pid, child: undefined }, ...children.map((child, index) => ({ name: names[index] as string, pid: child.pid as number, child }))];
  return { messages, waitFor, isListening, stop, processes, url: broker.url };
}

/** Loud spans of a recording, on CLOCK_MONOTONIC (and where they start in it). */
export function spansUs(recording: Recording, minGapMs: number): { fromUs: number; toUs: number; fromSample: number }[] {
  return loudSpans(samples(recording.pcm), 0.01, (RATE_HZ * minGapMs) / 1000).map(([from, to]) => ({
    fromUs: recording.sampleTimeUs(from),
    toUs: recording.sampleTimeUs(to),
    fromSample: from,
  }));
}

/**
 * When a voice spoken into the microphone from about `spokenFromUs` began, found by its own
 * waveform (`voice`, at RATE_HZ) in the microphone recording: with the speaker's echo in the
 * microphone, the first loud span after that moment may be the reply's, not the voice's.
 */
export function voiceOnsetUs(mic: Recording, voice: Int16Array, spokenFromUs: number): number | undefined {
  const firstLoud = loudSpans(voice, 0.01, RATE_HZ / 10)[0]?.[0];
  if (firstLoud === undefined) return undefined;
  const heard = samples(mic.pcm);
  // A second before (the recording's clock wanders a little from the system's) to three after.
  const windowFrom = Math.max(0, Math.round(((spokenFromUs - mic.firstSampleUs) * RATE_HZ) / 1e6) - RATE_HZ);
  const window = heard.subarray(windowFrom, windowFrom + RATE_HZ * 4);
  if (window.length < voice.length) return undefined;
  const { lagSamples } = align(voice, window);
  return mic.sampleTimeUs(windowFrom + lagSamples + firstLoud);
}

/** The reply item's audio as the model sent it (audio/output frames of that item). */
export function replyAudio(messages: readonly Message[], from: number, itemId: string): Int16Array {
  const frames = messages
    .slice(from)
    .filter((m) => m.topic === 'voxbus/audio/output')
    .map((m) => decodeAudioFrame(m.payload))
    .filter((f) => f.item?.itemId === itemId);
  return samples(Buffer.concat(frames.map((f) => Buffer.from(f.pcm))));
}

/**
 * When the speaker fell silent on a cut reply: where the speaker recording stops following the
 * reply (underrun gaps skipped). The reply is found by the best normalised match of its first
 * 250 ms within 1.5 s of where sound was first heard after the question, so neither the reply to
 * the interruption (which starts with the same words) nor a louder stretch can take its place:
 * a raw correlation peak once placed it 6.6 s before the voice that cut it. Undefined when the
 * reply is too short or is not found there.
 */
export function silencedAtUs(speaker: Recording, reply: Int16Array, replyHeardFromSample: number): number | undefined {
  if (reply.length < RATE_HZ) return undefined;
  const heard = samples(speaker.pcm);
  const windowFrom = Math.max(0, replyHeardFromSample - RATE_HZ / 2);
  const window = heard.subarray(windowFrom, windowFrom + RATE_HZ * 4);
  const found = bestMatch(reply.subarray(0, RATE_HZ / 4), window.subarray(0, RATE_HZ * 2));
  if (found === undefined || found.correlation < 0.6) return undefined;
  const { cutAt } = playedUntil(reply, window, found.lagSamples, RATE_HZ);
  return speaker.sampleTimeUs(windowFrom + cutAt);
}

/**
 * The holds of replies in messages [from, to) that were let go (conversation-state pauses
 * playback when a voice starts over a reply, and resumes it when the guard turns the voice down):
 * how many, and how long each held the reply (one never ended counts its `forMs`). A hold ended by
 * a flush was a barge-in, not counted.
 */
export function holdSummary(messages: readonly Message[], from: number, to = messages.length) {
  const resumedMs: number[] = [];
  let pausedAtUs: number | undefined;
  let forMs = 0;
  for (const m of messages.slice(from, to)) {
    if (m.topic === 'voxbus/playback/cmd/pause') {
      pausedAtUs ??= m.atUs;
      forMs = Number(m.json?.forMs);
    } else if (pausedAtUs !== undefined && m.topic === 'voxbus/playback/cmd/resume') {
      resumedMs.push((m.atUs - pausedAtUs) / 1000);
      pausedAtUs = undefined;
    } else if (m.topic === 'voxbus/playback/cmd/flush') {
      pausedAtUs = undefined;
    }
  }
  if (pausedAtUs !== undefined) resumedMs.push(forMs);
  return { count: resumedMs.length, heldMs: resumedMs.length === 0 ? null : summary(resumedMs) };
}

export function summary(values: number[]) {
  const [p50, p99] = percentiles(values, [50, 99]);
  return { p50_ms: round3(p50 as number), p99_ms: round3(p99 as number), min_ms: round3(Math.min(...values)), max_ms: round3(Math.max(...values)), n: values.length };
}
