import { randomBytes } from 'node:crypto';
import type { ConversationStateName } from '../contract/schemas.js';
import { judgeClosingRules, judgeDescribe, judgeOnline } from './common-rules.js';
import { type KitOptions, nowUs, sleep } from './kit.js';
import type { BusObserver } from './observer.js';
import type { Verdicts } from './report.js';

export const LCD_SCENARIOS = ['startup', 'draw', 'bad-input'] as const;
export type LcdScenario = (typeof LCD_SCENARIOS)[number];

export type LcdKitOptions = KitOptions<LcdScenario>;

/** The counter a display names the frames it drew with (the contract's lcd duty). */
const FRAMES_DRAWN = 'frames.drawn';
/** What any service says about itself (the broker's own, on a live bus): not the lcd's doing. */
const SELF_REPORT_PATH = /^[^/]+\/(status|metrics|res\/[^/]+)$/;
/** What the lcd may publish, below the base topic: its own status, metrics and describe answers, and the person's commands from buttons it has. */
const OWN_PATHS = [/^lcd\/status$/, /^lcd\/metrics$/, /^lcd\/res\/[^/]+$/, /^conversation\/cmd\/[^/]+$/];

/**
 * Drives a running lcd by standing in for what it draws (conversation-state's state, the gateway's
 * transcripts, the dsp's levels) and judges what can be seen of it from the bus: that it draws when
 * the conversation changes (its `frames.drawn` counter), that it publishes nothing but its own
 * status, metrics and answers, and that bad input is counted and survived. What the picture
 * looks like is the display's own business.
 */
export async function runLcdKit(bus: BusObserver, verdicts: Verdicts, options: LcdKitOptions): Promise<void> {
  const startedAt = bus.mark;
  try {
    await runScenarios(bus, verdicts, options);
  } finally {
    const own = (topic: string) => topic.startsWith(`${bus.baseTopic}/lcd/`);
    await judgeClosingRules(bus, verdicts, 'lcd', own, options.metricsTimeoutMs);
    judgeOnlyOwn(bus, verdicts, startedAt);
  }
}

/** The `frames.drawn` counter of the newest metrics from `from` on, or undefined. */
const drawnIn = (bus: BusObserver, from: number): number | undefined => bus.select('service.metrics', from, { service: 'lcd' }).at(-1)?.payload.counters[FRAMES_DRAWN];

async function runScenarios(bus: BusObserver, verdicts: Verdicts, options: LcdKitOptions): Promise<void> {
  const run = randomBytes(3).toString('hex');
  const want = new Set(options.scenarios);
  let turn = 0;
  const state = (name: ConversationStateName) =>
    bus.publish('conversation.state', {}, {
      state: name,
      phase: 'kit',
      mode: 'full-duplex',
      vad: 'server',
      micOpen: name !== 'waiting',
      muted: { user: false, assistant: false },
      echoConverged: true,
      turn,
      lastError: null,
      sinceMs: Date.now(),
    });
  const transcript = (role: 'user' | 'assistant', kind: 'delta' | 'final', text: string) =>
    bus.publish('realtime-gateway.event.transcript', {}, { role, kind, itemId: `item_${run}_${turn}_${role}`, responseId: role === 'user' ? null : `resp_${run}_${turn}`, text });
  const levels = (rmsDbfs: number, voice: boolean) =>
    bus.publish('dsp.event.levels', {}, { input: { rmsDbfs, peakDbfs: rmsDbfs + 3 }, output: { rmsDbfs, peakDbfs: rmsDbfs + 3 }, voice, timeUs: nowUs() });
  /** A turn as the lcd would see it, over about 1.5 s: states, both transcripts, meters moving. */
  const aTurn = async () => {
    turn++;
    await state('userSpeaking');
    for (let i = 0; i < 5; i++) {
      await levels(-30 + i * 3, true);
      await sleep(100);
    }
    await transcript('user', 'final', `What is on the screen, kit run ${run}, turn ${turn}?`);
    await state('waiting');
    await sleep(200);
    await state('assistantSpeaking');
    for (const word of ['Your ', 'conformance ', 'kit ', 'is ', 'drawing.']) {
      await transcript('assistant', 'delta', word);
      await sleep(100);
    }
    await transcript('assistant', 'final', 'Your conformance kit is drawing.');
    await sleep(200);
    await state('listening');
  };
  /** Waits for metrics from `from` on whose `frames.drawn` passed `before`. */
  const drewSince = (from: number, before: number) =>
    bus.waitFor('service.metrics', (m) => (m.counters[FRAMES_DRAWN] ?? -1) > before, options.metricsTimeoutMs, from, { service: 'lcd' });

  if (!(await judgeOnline(bus, verdicts, 'lcd', options.startTimeoutMs))) return;
  await judgeDescribe(bus, verdicts, 'lcd', `kit-${run}`);
  await state('listening');

  if (want.has('draw')) {
    const baseline = await bus.waitFor('service.metrics', () => true, options.metricsTimeoutMs, bus.mark, { service: 'lcd' });
    const before = baseline?.payload.counters[FRAMES_DRAWN];
    if (before === undefined) {
      verdicts.judge(
        'draws.changes',
        false,
        baseline ? `lcd/metrics has no ${FRAMES_DRAWN} counter (counters: ${Object.keys(baseline.payload.counters).join(', ') || 'none'})` : `no lcd/metrics within ${options.metricsTimeoutMs} ms`,
      );
    } else {
      const from = bus.mark;
      await aTurn();
      const drew = await drewSince(from, before);
      verdicts.judge(
        'draws.changes',
        drew !== undefined,
        drew
          ? `${FRAMES_DRAWN} ${before} → ${drew.payload.counters[FRAMES_DRAWN]} over a turn (states, transcripts, levels)`
          : `${FRAMES_DRAWN} stayed at ${drawnIn(bus, from) ?? before} through a turn (states, transcripts, levels) and ${options.metricsTimeoutMs} ms after it`,
      );
    }
  }

  if (want.has('bad-input')) {
    const baseline = await bus.waitFor('service.metrics', () => true, options.metricsTimeoutMs, bus.mark, { service: 'lcd' });
    const countedBefore = baseline?.payload.bus.invalidReceived ?? {};
    const before = baseline?.payload.counters[FRAMES_DRAWN] ?? 0;
    const from = bus.mark;
    // Not JSON; a field the schema does not have; a level that is not a finite number (1e999 parses to Infinity).
    await bus.publishRaw('conversation/state', Buffer.from('{"state": "listening", '));
    await bus.publishRaw('realtime-gateway/event/transcript', Buffer.from(JSON.stringify({ role: 'user', kind: 'final', itemId: 'x', responseId: null, text: 'hi', colour: 'blue' })));
    await bus.publishRaw('dsp/event/levels', Buffer.from('{"input":{"rmsDbfs":1e999,"peakDbfs":0},"output":{"rmsDbfs":-60,"peakDbfs":-57},"voice":false,"timeUs":1}'));
    await aTurn();
    const drew = await drewSince(from, before);
    const counted = bus.select('service.metrics', from, { service: 'lcd' }).at(-1)?.payload.bus.invalidReceived ?? {};
    const keys = ['conversation.state', 'realtime-gateway.event.transcript', 'dsp.event.levels'];
    const uncounted = keys.filter((key) => (counted[key] ?? 0) <= (countedBefore[key] ?? 0));
    const offline = bus.select('service.status', from, { service: 'lcd' }).filter((m) => m.payload.status !== 'online');
    verdicts.judge(
      'bad-input.survives',
      drew !== undefined && uncounted.length === 0 && offline.length === 0,
      `after a cut-off conversation/state, a transcript with a field too many and a level of Infinity: ${offline.length === 0 ? 'stayed online' : `status ${offline[0]?.payload.status}/${offline[0]?.payload.reason}`}, ${drew ? 'drew the next turn' : 'drew nothing of the next turn'}, ${uncounted.length === 0 ? 'counted each in bus.invalidReceived' : `bus.invalidReceived did not count ${uncounted.join(', ')} (it says ${JSON.stringify(counted)})`}`,
    );
  }
}

/** Anything published live during the run that is neither the kit's nor the lcd's own: a display shows, it does not drive the services. */
function judgeOnlyOwn(bus: BusObserver, verdicts: Verdicts, from: number): void {
  const base = `${bus.baseTopic}/`;
  const seenFrom = new Set([...bus.messages.slice(from).filter((m) => !m.retained).map((m) => m.topic), ...bus.invalid.map((m) => m.topic)]);
  const foreign = [...seenFrom]
    .filter((topic) => {
      const path = topic.startsWith(base) ? topic.slice(base.length) : topic;
      return !OWN_PATHS.some((own) => own.test(path)) && !SELF_REPORT_PATH.test(path);
    })
    .filter((topic) => bus.othersOn(topic) > 0);
  verdicts.judge(
    'publishes.only-own',
    foreign.length === 0,
    foreign.length === 0
      ? 'nothing published but lcd/status, lcd/metrics, lcd/res/… (and the person\'s conversation/cmd/… from buttons)'
      : `published on ${foreign.map((topic) => `${topic} (${bus.othersOn(topic)})`).join(', ')}: a display publishes nothing but its status, metrics, describe answers and the person's conversation/cmd/… from buttons`,
  );
}
