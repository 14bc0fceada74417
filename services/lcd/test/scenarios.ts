import { CONVERSATION_STATES } from '@voxbus/shared';
import { type ConversationView, EMPTY_SCREEN, reduceScreen, type ScreenEvent, type ScreenModel } from '../src/screen-model.js';

/** The screens the golden images show, each built through the reducer from bus-shaped events. */
export interface Scenario {
  readonly name: string;
  readonly events: readonly ScreenEvent[];
}

const SERVICES = ['broker', 'realtime-sim', 'realtime-gateway', 'audio-capture', 'dsp', 'playback', 'conversation-state', 'lcd'];

export function conversation(state: ConversationView['state'], patch: Partial<ConversationView> = {}): ScreenEvent {
  return { type: 'conversation', state: conversationState(state, patch) };
}

/** A `conversation/state` payload as conversation-state publishes it. */
export function conversationState(state: ConversationView['state'], patch: Partial<ConversationView> = {}): ConversationView {
  return {
    state,
    phase: 'open',
    mode: 'full-duplex',
    vad: 'server',
    micOpen: state === 'listening' || state === 'userSpeaking',
    muted: { user: false, assistant: false },
    echoConverged: true,
    turn: 3,
    lastError: null,
    sinceMs: 1_790_000_000_000,
    ...patch,
  };
}

export const healthy: readonly ScreenEvent[] = [
  { type: 'bus', connected: true },
  ...SERVICES.map((service): ScreenEvent => ({ type: 'status', service, online: true })),
];

export function transcript(role: 'user' | 'assistant', text: string, itemId = `${role}-1`, kind: 'delta' | 'final' = 'final'): ScreenEvent {
  return { type: 'transcript', message: { role, kind, itemId, responseId: role === 'assistant' ? 'resp-1' : null, text } };
}

export function levels(inputRmsDbfs: number, outputRmsDbfs: number, voice: boolean): ScreenEvent {
  return {
    type: 'levels',
    levels: { input: { rmsDbfs: inputRmsDbfs, peakDbfs: inputRmsDbfs + 9 }, output: { rmsDbfs: outputRmsDbfs, peakDbfs: outputRmsDbfs + 6 }, voice, timeUs: 1 },
  };
}

const exchange = [
  transcript('user', 'What is the weather like tomorrow?'),
  transcript('assistant', 'Tomorrow looks dry and mild, around 14 degrees in the afternoon.', 'assistant-1'),
];

/** Per state: a screen as it would look in that state, with the transcript that goes with it. */
const stateScenarios: Scenario[] = CONVERSATION_STATES.map((state) => {
  const extra: ScreenEvent[] = [];
  if (state === 'userSpeaking') extra.push(levels(-18, -90, true));
  if (state === 'assistantSpeaking') extra.push(...exchange, levels(-52, -14, false));
  if (state === 'waiting') extra.push(exchange[0] as ScreenEvent, levels(-58, -90, false));
  const patch: Partial<ConversationView> =
    state === 'error' ? { lastError: { code: 'invalid_api_key', message: 'The API key was refused (401). Check VOXBUS_REALTIME_API_KEY.' } } : {};
  return { name: `state-${state}`, events: [...healthy, conversation(state, patch), ...extra] };
});

export const SCENARIOS: readonly Scenario[] = [
  ...stateScenarios,
  {
    name: 'muted-both',
    events: [...healthy, conversation('listening', { muted: { user: true, assistant: true }, micOpen: false })],
  },
  {
    name: 'push-to-talk',
    events: [...healthy, conversation('listening', { mode: 'push-to-talk' })],
  },
  {
    name: 'long-transcript',
    events: [
      ...healthy,
      conversation('assistantSpeaking'),
      transcript('user', 'Can you tell me the whole story of how the bridge over the river was built, from the start?'),
      // Streamed as deltas, the way the gateway sends them; longer than the screen, so it scrolls.
      ...'Of course. The first bridge here was a wooden one, put up in 1832 by the mill owners so that carts could reach the market without the long detour through the ford. It burnt down twice. The stone bridge you see today was started in 1871, took six years, and its middle arch, at thirty-one metres, was the widest in the county for half a century. Supercalifragilisticexpialidociously long words are split too.'
        .split(/(?<= )/)
        .map((word) => transcript('assistant', word, 'assistant-1', 'delta')),
      levels(-60, -12, false),
    ],
  },
  {
    name: 'cjk-transcript',
    events: [
      ...healthy,
      conversation('assistantSpeaking'),
      transcript('user', '明天北京的天气怎么样？'),
      transcript('assistant', '明天北京晴转多云，最高气温十八度，最低气温七度，北风三到四级。早晚温差较大，出门请注意添加衣物。', 'assistant-1'),
      levels(-60, -16, false),
    ],
  },
  {
    name: 'japanese-mixed',
    events: [
      ...healthy,
      conversation('assistantSpeaking'),
      transcript('user', 'Say hello in Japanese and Korean, please.'),
      transcript('assistant', 'こんにちは、元気ですか？ And in Korean: 안녕하세요, 만나서 반갑습니다.', 'assistant-1'),
    ],
  },
  {
    name: 'offline-service',
    events: [
      ...healthy,
      conversation('listening'),
      { type: 'status', service: 'dsp', online: false },
      { type: 'status', service: 'playback', online: false },
    ],
  },
  {
    name: 'assistant-offline',
    events: [...healthy, conversation('assistantSpeaking'), ...exchange, { type: 'status', service: 'conversation-state', online: false }],
  },
  {
    name: 'no-microphone',
    events: [...healthy, conversation('listening'), { type: 'device', device: 'microphone', ok: false }],
  },
  { name: 'no-bus', events: [{ type: 'bus', connected: false }] },
  { name: 'starting', events: [...healthy] },
];

export function modelOf(scenario: Scenario): ScreenModel {
  return scenario.events.reduce(reduceScreen, EMPTY_SCREEN);
}
