import { randomBytes } from 'node:crypto';
import { earconItemId } from '../contract/schemas.js';
import { judgeClosingRules, judgeDescribe, judgeOnline } from './common-rules.js';
import { type KitOptions, nowUs, sleep } from './kit.js';
import type { BusObserver } from './observer.js';
import type { Verdicts } from './report.js';

export const CONVERSATION_SCENARIOS = ['startup', 'turn', 'barge-in', 'mute'] as const;
export type ConversationScenario = (typeof CONVERSATION_SCENARIOS)[number];

export type ConversationKitOptions = KitOptions<ConversationScenario>;

const REPLY_MS = 3000;
/** How long after the states repeated the kit listens for commands that should not come. */
const REPEAT_QUIET_MS = 600;
/** The commands conversation-state gives the audio services. */
/** A barge-in's pause must outlast the guard it covers: the contract's default minimum and confirmation. */
const PAUSE_COVERS_MS = 300;
const COMMANDS_TO_SERVICES = ['playback.cmd.mute', 'playback.cmd.unmute', 'audio-capture.cmd.mute', 'audio-capture.cmd.unmute', 'dsp.cmd.mute', 'dsp.cmd.unmute'] as const;

/**
 * Drives a running conversation-state over the bus by standing in for everything it listens to
 * (the gateway, playback, the dsp and audio-capture): a connection, a spoken turn and its reply,
 * a voice over a reply, a mute; and judges its states, turn reports and the commands it gives.
 */
export async function runConversationKit(bus: BusObserver, verdicts: Verdicts, options: ConversationKitOptions): Promise<void> {
  let stopPlayback = () => {};
  try {
    stopPlayback = await runScenarios(bus, verdicts, options);
  } finally {
    stopPlayback();
    const own = (topic: string) => topic.startsWith(`${bus.baseTopic}/conversation/`);
    await judgeClosingRules(bus, verdicts, 'conversation-state', own, options.metricsTimeoutMs);
  }
}

/** The states conversation-state published from `from` on, repeats removed. */
function statesSince(bus: BusObserver, from: number): string[] {
  const states = bus.select('conversation.state', from).map((m) => m.payload.state);
  return states.filter((state, i) => i === 0 || state !== states[i - 1]);
}

async function runScenarios(bus: BusObserver, verdicts: Verdicts, options: ConversationKitOptions): Promise<() => void> {
  const run = randomBytes(3).toString('hex');
  const want = new Set(options.scenarios);
  let turnNumber = 0;
  let earconsSeen = 0;
  // The stand-in playback: the earcons it is asked for play and drain at once, as a real one's would in 160 ms.
  const earcons = setInterval(() => {
    for (const m of bus.select('playback.cmd.earcon', earconsSeen)) {
      const itemId = earconItemId(m.payload.name);
      for (const kind of ['started', 'drained'] as const) {
        void bus.publish('playback.event.item', {}, { kind, itemId, responseId: '', heardMs: kind === 'started' ? 0 : 160, receivedMs: 160, enteredDeviceUs: null, timeUs: nowUs() });
      }
    }
    earconsSeen = bus.mark;
  }, 50);
  const stop = () => clearInterval(earcons);

  if (!(await judgeOnline(bus, verdicts, 'conversation-state', options.startTimeoutMs))) return stop;
  await judgeDescribe(bus, verdicts, 'conversation-state', `kit-${run}`);

  // The world as conversation-state expects it: a connected model, an open speaker and microphone, a dsp whose canceller has converged.
  const sinceMs = Date.now();
  const sayTheWorld = async () => {
    await bus.publish('playback.state', {}, { state: 'idle', device: 'kit', granted: null, error: null, retryInMs: null, sinceMs, volume: 1, muted: false });
    await bus.publish('audio-capture.state', {}, { state: 'capturing', device: 'kit', granted: null, error: null, retryInMs: null, sinceMs });
    await bus.publish('dsp.state', {}, {
      state: 'running',
      engine: 'fake',
      input: { sampleRateHz: 48_000, channels: 1, sampleFormat: 's16le' },
      stages: { dcRemoval: true, downmix: 'mix', resample: true, echoCancellation: true, noiseSuppression: true, gainControl: true, vad: true },
      echo: { active: true, converged: true, erleDb: 30, erlDb: 10, delayMs: 40 },
      muted: false,
      sinceMs,
    });
    await bus.publish('realtime-gateway.state', {}, { state: 'connected', provider: 'sim', dialect: 'ga', model: 'kit', sessionId: `sess_${run}`, reason: null, attempt: 0, sinceMs });
  };
  await sayTheWorld();
  const listening = await bus.waitFor('conversation.state', (s) => s.state === 'listening' && s.micOpen, options.startTimeoutMs);
  const lastView = bus.select('conversation.state').at(-1)?.payload;
  verdicts.judge(
    'state.listening',
    listening !== undefined,
    listening === undefined
      ? `not listening with the microphone open within ${options.startTimeoutMs} ms of a connected model (last: ${lastView ? `${lastView.state}/${lastView.phase}, mic ${lastView.micOpen ? 'open' : 'shut'}` : 'none'})`
      : `listening, mode ${listening.payload.mode}, microphone open, turn ${listening.payload.turn}`,
  );
  if (!listening) return stop;
  turnNumber = listening.payload.turn;

  // A service may publish its state again after every command, unchanged: told nothing it already
  // does, or the two echo each other for ever (hundreds of messages a second).
  await sleep(300);
  const repeatedFrom = bus.mark;
  for (let i = 0; i < 3; i++) {
    await sayTheWorld();
    await sleep(100);
  }
  await sleep(REPEAT_QUIET_MS);
  const told = COMMANDS_TO_SERVICES.flatMap((key) => bus.select(key, repeatedFrom).map(() => key.replace(/\./g, '/')));
  verdicts.judge(
    'commands.not-repeated',
    told.length === 0,
    told.length === 0
      ? `the speaker, microphone and dsp said their states three times over, unchanged: no command in answer within ${REPEAT_QUIET_MS} ms`
      : `the speaker, microphone and dsp said their states three times over, unchanged, and were sent ${told.length} commands: ${[...new Set(told)].join(', ')} (none wanted)`,
  );

  /** A spoken turn and the model's reply to it, the reply playing; resolves once it is heard. */
  const turnAndReply = async (name: string) => {
    const itemId = `item_kit_${run}_${name}`;
    const responseId = `resp_kit_${run}_${name}`;
    await bus.publish('realtime-gateway.event.vad', {}, { kind: 'speech_started', itemId: `in_${itemId}`, audioMs: 0 });
    await sleep(800);
    await bus.publish('realtime-gateway.event.vad', {}, { kind: 'speech_stopped', itemId: `in_${itemId}`, audioMs: 800 });
    await sleep(100);
    await bus.publish('realtime-gateway.event.response', {}, { kind: 'created', responseId, status: 'in_progress', reason: null, audioMs: 0 });
    await bus.publish('realtime-gateway.event.response', {}, { kind: 'first_audio', responseId, status: 'in_progress', reason: null, audioMs: 20 });
    await sleep(60);
    await bus.publish('playback.event.item', {}, { kind: 'started', itemId, responseId, heardMs: 0, receivedMs: 200, enteredDeviceUs: null, timeUs: nowUs() });
    return { itemId, responseId };
  };

  if (want.has('turn')) {
    const from = bus.mark;
    const { itemId, responseId } = await turnAndReply('turn');
    for (let heardMs = 100; heardMs < REPLY_MS; heardMs += 100) {
      await sleep(100);
      await bus.publish('playback.event.item', {}, { kind: 'position', itemId, responseId, heardMs, receivedMs: REPLY_MS, enteredDeviceUs: null, timeUs: nowUs() });
    }
    await bus.publish('realtime-gateway.event.response', {}, { kind: 'done', responseId, status: 'completed', reason: null, audioMs: REPLY_MS });
    await bus.publish('playback.event.item', {}, { kind: 'drained', itemId, responseId, heardMs: REPLY_MS, receivedMs: REPLY_MS, enteredDeviceUs: null, timeUs: nowUs() });
    const report = await bus.waitFor('conversation.event.turn', () => true, 3000, from);
    await bus.waitFor('conversation.state', (s) => s.state === 'listening', 3000, from + 1);
    const states = statesSince(bus, from);
    const expected = ['userSpeaking', 'waiting', 'assistantSpeaking', 'listening'];
    verdicts.judge(
      'turn.states',
      expected.every((state) => states.includes(state)) && states.indexOf('assistantSpeaking') > states.indexOf('waiting') && states.at(-1) === 'listening',
      `states through a spoken turn and its reply: ${states.join(' → ') || 'none'} (${expected.join(' → ')} wanted)`,
    );
    verdicts.judge(
      'turn.report',
      report?.payload.outcome === 'answered' && report.payload.turn === turnNumber + 1 && report.payload.responseId === responseId && report.payload.heardMs === REPLY_MS,
      report === undefined
        ? 'no conversation/event/turn within 3000 ms of the reply draining'
        : `turn ${report.payload.turn} (${turnNumber + 1} wanted) ${report.payload.outcome} (answered wanted), response ${report.payload.responseId}, heardMs ${report.payload.heardMs} (${REPLY_MS} wanted)`,
    );
    turnNumber = report?.payload.turn ?? turnNumber + 1;
  }

  /**
   * Only the model's VAD hears a voice over a reply (the speaker's echo, as the dsp's echo-aware
   * VAD tells): the reply is held while that is decided, then resumed, and plays to its end.
   * Judges `barge-in.pauses` with how the barge-in before it (`cut`) paused.
   */
  const heldAndLetGo = async (cut: { ok: boolean; evidence: string }) => {
    const { itemId, responseId } = await turnAndReply('held');
    await sleep(300);
    const voiceAt = bus.mark;
    await bus.publish('realtime-gateway.event.vad', {}, { kind: 'speech_started', itemId: `in3_${itemId}`, audioMs: 4000 });
    const resume = await bus.waitFor('playback.cmd.resume', () => true, 3000, voiceAt);
    const pause = bus.select('playback.cmd.pause', voiceAt)[0];
    const flushed = bus.select('playback.cmd.flush', voiceAt).length;
    verdicts.judge(
      'barge-in.pauses',
      cut.ok && pause !== undefined && resume !== undefined && pause.atMs <= resume.atMs && flushed === 0,
      `${cut.evidence}; the model's VAD alone over a reply (the dsp's heard nothing): ${pause ? 'paused' : 'no pause'}, ${resume ? `resumed ${resume.atMs - (pause?.atMs ?? resume.atMs)} ms later` : 'no resume within 3000 ms'}, ${flushed} flushes (0 wanted)`,
    );
    await bus.publish('realtime-gateway.event.vad', {}, { kind: 'speech_stopped', itemId: `in3_${itemId}`, audioMs: 4300 });
    await bus.publish('realtime-gateway.event.response', {}, { kind: 'done', responseId, status: 'completed', reason: null, audioMs: 200 });
    await bus.publish('playback.event.item', {}, { kind: 'drained', itemId, responseId, heardMs: 200, receivedMs: 200, enteredDeviceUs: null, timeUs: nowUs() });
    await bus.waitFor('conversation.state', (s) => s.state === 'listening', 3000, bus.mark - 1);
  };

  if (want.has('barge-in')) {
    await bus.waitFor('conversation.state', (s) => s.state === 'listening' && s.micOpen, 3000, 0);
    const from = bus.mark;
    const { itemId, responseId } = await turnAndReply('barge');
    let heardMs = 0;
    const positions = setInterval(() => {
      heardMs += 100;
      void bus.publish('playback.event.item', {}, { kind: 'position', itemId, responseId, heardMs, receivedMs: REPLY_MS, enteredDeviceUs: null, timeUs: nowUs() });
    }, 100);
    try {
      await sleep(800);
      const voiceAt = bus.mark;
      // A voice over the reply, as both VADs report it: the model's, and the dsp's echo-aware one (which has heard 200 ms of it).
      await bus.publish('realtime-gateway.event.vad', {}, { kind: 'speech_started', itemId: `in2_${itemId}`, audioMs: 2000 });
      await bus.publish('dsp.event.vad', {}, { kind: 'speech_started', timeUs: nowUs(), speechMs: 200 });
      const flush = await bus.waitFor('playback.cmd.flush', () => true, 2000, voiceAt);
      const cancel = await bus.waitFor('realtime-gateway.cmd.cancel', () => true, 2000, voiceAt);
      const pause = bus.select('playback.cmd.pause', voiceAt)[0];
      verdicts.judge(
        'barge-in.stops',
        flush !== undefined && cancel !== undefined,
        `a voice over the reply (both VADs): ${flush ? `playback/cmd/flush ${flush.atMs - (bus.messages[voiceAt]?.atMs ?? flush.atMs)} ms after it` : 'no flush within 2000 ms'}, ${cancel ? 'realtime-gateway/cmd/cancel' : 'no cancel'}`,
      );
      const sinceVoice = (atMs: number) => atMs - (bus.messages[voiceAt]?.atMs ?? atMs);
      const pausedFirst = {
        ok: pause !== undefined && (flush === undefined || pause.atMs <= flush.atMs) && pause.payload.forMs >= PAUSE_COVERS_MS,
        evidence:
          pause === undefined
            ? 'a voice over the reply: no playback/cmd/pause before the flush'
            : `a voice over the reply: playback/cmd/pause ${sinceVoice(pause.atMs)} ms after it, forMs ${pause.payload.forMs} (≥ ${PAUSE_COVERS_MS} wanted)${flush ? `, the flush ${sinceVoice(flush.atMs)} ms after it` : ''}`,
      };
      clearInterval(positions);
      const cutMs = heardMs + 40;
      await bus.publish('playback.event.item', {}, { kind: 'flushed', itemId, responseId, heardMs: cutMs, receivedMs: REPLY_MS, enteredDeviceUs: null, timeUs: nowUs() });
      const truncate = await bus.waitFor('realtime-gateway.cmd.truncate', () => true, 2000, voiceAt);
      const report = await bus.waitFor('conversation.event.turn', (t) => t.responseId === responseId, 2000, from);
      verdicts.judge(
        'barge-in.truncates',
        truncate?.payload.itemId === itemId && truncate.payload.audioEndMs === cutMs && report?.payload.outcome === 'interrupted',
        `${truncate ? `truncate ${truncate.payload.itemId} at ${truncate.payload.audioEndMs} ms` : 'no truncate within 2000 ms'} (${itemId} at ${cutMs}, the flush's heardMs, wanted); turn ${report ? report.payload.outcome : 'never reported'} (interrupted wanted)`,
      );
      await bus.publish('realtime-gateway.event.response', {}, { kind: 'done', responseId, status: 'cancelled', reason: 'client_cancelled', audioMs: REPLY_MS });
      await bus.publish('realtime-gateway.event.vad', {}, { kind: 'speech_stopped', itemId: `in2_${itemId}`, audioMs: 3000 });
      await bus.publish('dsp.event.vad', {}, { kind: 'speech_stopped', timeUs: nowUs(), speechMs: 1000 });
      // The interruption is a turn of its own: answer it briefly, so the conversation is left listening as it was found.
      const answer = { itemId: `item_kit_${run}_after`, responseId: `resp_kit_${run}_after` };
      const event = (kind: 'started' | 'drained', heardMs: number) => ({ kind, ...answer, heardMs, receivedMs: 200, enteredDeviceUs: null, timeUs: nowUs() });
      await bus.publish('realtime-gateway.event.response', {}, { kind: 'created', responseId: answer.responseId, status: 'in_progress', reason: null, audioMs: 0 });
      await bus.publish('realtime-gateway.event.response', {}, { kind: 'first_audio', responseId: answer.responseId, status: 'in_progress', reason: null, audioMs: 20 });
      await bus.publish('playback.event.item', {}, event('started', 0));
      await bus.publish('realtime-gateway.event.response', {}, { kind: 'done', responseId: answer.responseId, status: 'completed', reason: null, audioMs: 200 });
      await sleep(200);
      await bus.publish('playback.event.item', {}, event('drained', 200));
      await bus.waitFor('conversation.state', (s) => s.state === 'listening', 3000, bus.mark - 1);
      await heldAndLetGo(pausedFirst);
    } finally {
      clearInterval(positions);
    }
  }

  if (want.has('mute')) {
    const from = bus.mark;
    await bus.publish('conversation.cmd.mute', {}, { target: 'user' });
    const muted = await bus.waitFor('conversation.state', (s) => s.muted.user && !s.micOpen, 2000, from);
    const shut = await bus.waitFor('audio-capture.cmd.mute', () => true, 2000, from);
    const unmuteFrom = bus.mark;
    await bus.publish('conversation.cmd.unmute', {}, { target: 'user' });
    const unmuted = await bus.waitFor('conversation.state', (s) => !s.muted.user, 2000, unmuteFrom);
    verdicts.judge(
      'mute.user',
      muted !== undefined && shut !== undefined && unmuted !== undefined,
      `${muted ? 'state: the person muted, microphone shut' : 'the state never showed the person muted with the microphone shut'}; ${shut ? 'audio-capture/cmd/mute sent' : 'no audio-capture/cmd/mute'}; ${unmuted ? 'unmuted' : 'never unmuted'}`,
    );
  }
  return stop;
}
