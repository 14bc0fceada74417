import { randomBytes } from 'node:crypto';
import { type AudioFrame, frameDurationMs } from '../audio/frame-codec.js';
import { judgeClosingRules, judgeDescribe, judgeOnline } from './common-rules.js';
import { type KitOptions, sleep } from './kit.js';
import type { BusObserver, SeenMessage } from './observer.js';
import type { Verdicts } from './report.js';

export const GATEWAY_SCENARIOS = ['startup', 'say', 'cancel'] as const;
export type GatewayScenario = (typeof GATEWAY_SCENARIOS)[number];

export type GatewayKitOptions = KitOptions<GatewayScenario>;

/** How long a model may take to answer a typed line, start to end (the simulator takes well under a second). */
const ANSWER_TIMEOUT_MS = 15_000;

/**
 * Drives a running realtime-gateway, connected to a model (the project's simulator in CI), over the
 * bus as conversation-state would: a typed question, its spoken answer on `audio/output` with the
 * response's lifecycle and transcript, a truncation, a cancel.
 */
export async function runGatewayKit(bus: BusObserver, verdicts: Verdicts, options: GatewayKitOptions): Promise<void> {
  try {
    await runScenarios(bus, verdicts, options);
  } finally {
    const own = (topic: string) => topic.startsWith(`${bus.baseTopic}/realtime-gateway/`) || topic === `${bus.baseTopic}/audio/output`;
    await judgeClosingRules(bus, verdicts, 'realtime-gateway', own, options.metricsTimeoutMs);
  }
}

async function runScenarios(bus: BusObserver, verdicts: Verdicts, options: GatewayKitOptions): Promise<void> {
  const run = randomBytes(3).toString('hex');
  const want = new Set(options.scenarios);
  const output = (from: number, responseId: string): (SeenMessage & { payload: AudioFrame })[] =>
    bus.select('audio.output', from).filter((m) => m.payload.item?.responseId === responseId);
  const response = (kind: string, from: number, responseId?: string) =>
    bus.waitFor('realtime-gateway.event.response', (r) => r.kind === kind && (responseId === undefined || r.responseId === responseId), ANSWER_TIMEOUT_MS, from);

  if (!(await judgeOnline(bus, verdicts, 'realtime-gateway', options.startTimeoutMs))) return;
  await judgeDescribe(bus, verdicts, 'realtime-gateway', `kit-${run}`);
  const connected = await bus.waitFor('realtime-gateway.state', (s) => s.state === 'connected', options.startTimeoutMs);
  const kept = (await bus.retainedNow(`${bus.baseTopic}/realtime-gateway/state`)) as { state: string } | undefined;
  const last = bus.select('realtime-gateway.state').at(-1)?.payload;
  verdicts.judge(
    'state.connected',
    connected !== undefined && kept?.state === 'connected',
    connected === undefined
      ? `no realtime-gateway/state connected within ${options.startTimeoutMs} ms (last: ${last ? `${last.state}, ${last.reason}` : 'none'})`
      : `connected to ${connected.payload.provider} (${connected.payload.dialect}, ${connected.payload.model}); retained: ${kept?.state ?? 'nothing'}`,
  );
  if (!connected) return;

  if (want.has('say')) {
    const from = bus.mark;
    await bus.publish('realtime-gateway.cmd.say', {}, { text: 'Hello there, how are you?' });
    const created = await response('created', from);
    const responseId = created?.payload.responseId ?? '';
    const firstAudio = created ? await response('first_audio', from, responseId) : undefined;
    const done = created ? await response('done', from, responseId) : undefined;
    const transcript = created
      ? await bus.waitFor('realtime-gateway.event.transcript', (t) => t.role === 'assistant' && t.kind === 'final' && t.responseId === responseId, 3000, from)
      : undefined;
    verdicts.judge(
      'say.answers',
      created !== undefined && firstAudio !== undefined && done?.payload.status === 'completed' && done.payload.audioMs > 0 && transcript !== undefined,
      created === undefined
        ? `no response created within ${ANSWER_TIMEOUT_MS} ms of realtime-gateway/cmd/say`
        : `response ${responseId}: created, ${firstAudio ? 'first_audio' : 'no first_audio'}, ${done ? `done ${done.payload.status} with ${done.payload.audioMs} ms of audio` : 'never done'}; ${transcript ? `the assistant's transcript "${transcript.payload.text}"` : 'no final assistant transcript'}`,
    );
    await sleep(200);
    const frames = output(from, responseId);
    const format = new Set(frames.map((m) => `${m.payload.sampleRateHz} Hz ${m.payload.channels} ch ${m.payload.sampleFormat}`));
    let offsetGaps = 0;
    let sequenceGaps = 0;
    for (let i = 1; i < frames.length; i++) {
      const before = (frames[i - 1] as { payload: AudioFrame }).payload;
      const now = (frames[i] as { payload: AudioFrame }).payload;
      if (now.sequence !== ((before.sequence + 1) >>> 0)) sequenceGaps++;
      // Within an item, each frame starts where the one before ended.
      if (now.item?.itemId === before.item?.itemId && now.item?.sampleOffset !== (before.item?.sampleOffset ?? 0) + before.pcm.length / 2 / before.channels) offsetGaps++;
    }
    const sentMs = Math.round(frames.reduce((sum, m) => sum + frameDurationMs(m.payload), 0));
    verdicts.judge(
      'output.tagged',
      frames.length > 0 && format.size === 1 && format.has('24000 Hz 1 ch s16le') && offsetGaps === 0 && sequenceGaps === 0 && Math.abs(sentMs - (done?.payload.audioMs ?? -1000)) <= 20,
      `${frames.length} audio/output frames of the response in ${[...format].join(', ') || 'no format'} (24000 Hz 1 ch s16le wanted), ${sequenceGaps} sequence gaps, ${offsetGaps} breaks in sampleOffset; ${sentMs} ms of audio against done's ${done?.payload.audioMs ?? '?'} ms (± 20)`,
    );
    const itemId = frames[0]?.payload.item?.itemId;
    if (itemId !== undefined) {
      const asked = bus.mark;
      await bus.publish('realtime-gateway.cmd.truncate', {}, { itemId, audioEndMs: 300 });
      const truncated = await bus.waitFor('realtime-gateway.event.raw', (e) => e.type === 'conversation.item.truncated', 3000, asked);
      const event = truncated?.payload as { item_id?: string; audio_end_ms?: number } | undefined;
      verdicts.judge(
        'truncate.applies',
        event?.item_id === itemId && event.audio_end_ms === 300,
        truncated === undefined ? `no conversation.item.truncated within 3000 ms of truncating ${itemId} at 300 ms` : `the model truncated ${event?.item_id} at ${event?.audio_end_ms} ms (${itemId} at 300 wanted)`,
      );
    } else {
      verdicts.judge('truncate.applies', false, 'no item to truncate: the response had no audio');
    }
  }

  if (want.has('cancel')) {
    const from = bus.mark;
    await bus.publish('realtime-gateway.cmd.say', {}, { text: 'Tell me a long story about the sea, please.' });
    const firstAudio = await response('first_audio', from);
    const responseId = firstAudio?.payload.responseId ?? '';
    const cancelAt = bus.mark;
    if (firstAudio) await bus.publish('realtime-gateway.cmd.cancel', {}, {});
    const done = firstAudio ? await response('done', from, responseId) : undefined;
    await sleep(300);
    const doneAt = done ? bus.messages.indexOf(done) : bus.mark;
    const after = output(doneAt, responseId).filter((m) => done !== undefined && m.atMs > done.atMs + 100).length;
    verdicts.judge(
      'cancel.stops',
      done?.payload.status === 'cancelled' && after === 0,
      firstAudio === undefined
        ? `no first_audio within ${ANSWER_TIMEOUT_MS} ms of a say`
        : `cancelled after ${output(from, responseId).filter((m) => bus.messages.indexOf(m) < cancelAt).length} frames: ${done ? `done ${done.payload.status}` : 'never done'} (cancelled wanted); ${after} audio/output frames of it more than 100 ms after done (0 wanted)`,
    );
  }
}
