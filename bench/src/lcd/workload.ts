import type { ScreenEvent } from '@voxbus/lcd/lib';

const SENTENCES = [
  'Tomorrow looks dry and mild, around fourteen degrees in the afternoon, with a light breeze from the west.',
  'Your first meeting starts at nine thirty, and the train is running five minutes late this morning.',
  '明天北京晴转多云，最高气温十八度，最低气温七度，北风三到四级。',
];
const SERVICES = ['broker', 'realtime-sim', 'realtime-gateway', 'audio-capture', 'dsp', 'playback', 'conversation-state', 'lcd'];

/**
 * A conversation as the lcd receives it, cut into the 100 ms frames of a 10 Hz screen: levels
 * every frame, and in turns of 50 frames the person speaking (the state), their transcript, the
 * reply streaming as word deltas (two a frame, about the rate a realtime model sends them), and
 * listening again.
 */
export function conversationEvents(frames: number): ScreenEvent[][] {
  const script: ScreenEvent[][] = [];
  for (let frame = 0; frame < frames; frame++) {
    const events: ScreenEvent[] = [];
    if (frame === 0) events.push({ type: 'bus', connected: true }, ...SERVICES.map((service): ScreenEvent => ({ type: 'status', service, online: true })));
    const turn = Math.floor(frame / 50);
    const step = frame % 50;
    const sentence = SENTENCES[turn % SENTENCES.length] as string;
    if (step === 0) events.push(state('userSpeaking', turn));
    if (step === 10) events.push(state('waiting', turn), { type: 'transcript', message: { role: 'user', kind: 'final', itemId: `u${turn}`, responseId: null, text: 'What is the weather like tomorrow?' } });
    if (step === 14) events.push(state('assistantSpeaking', turn));
    if (step >= 14 && step < 45) {
      const words = sentence.split(/(?<= )/u);
      for (const word of words.slice((step - 14) * 2, (step - 14) * 2 + 2)) {
        events.push({ type: 'transcript', message: { role: 'assistant', kind: 'delta', itemId: `a${turn}`, responseId: `r${turn}`, text: word } });
      }
    }
    if (step === 45) events.push(state('listening', turn));
    const speaking = step < 10;
    const replying = step >= 14 && step < 45;
    const wobble = Math.sin(frame * 1.7) * 6;
    events.push({
      type: 'levels',
      levels: {
        input: { rmsDbfs: Math.min(0, (speaking ? -22 : -58) + wobble), peakDbfs: Math.min(0, (speaking ? -12 : -50) + wobble) },
        output: { rmsDbfs: Math.min(0, (replying ? -16 : -120) + wobble), peakDbfs: Math.min(0, (replying ? -8 : -120) + wobble) },
        voice: speaking,
        timeUs: frame * 100_000,
      },
    });
    script.push(events);
  }
  return script;
}

function state(name: 'userSpeaking' | 'waiting' | 'assistantSpeaking' | 'listening', turn: number): ScreenEvent {
  return {
    type: 'conversation',
    state: {
      state: name,
      phase: 'open',
      mode: 'full-duplex',
      vad: 'server',
      micOpen: name !== 'waiting',
      muted: { user: false, assistant: false },
      echoConverged: true,
      turn,
      lastError: null,
      sinceMs: Date.now(),
    },
  };
}

/** The worst case: every region changes in every frame (state, transcript, meter, health). */
export function everyRegionEvents(frames: number): ScreenEvent[][] {
  return conversationEvents(frames).map((events, frame) => [
    ...events,
    state(frame % 2 === 0 ? 'assistantSpeaking' : 'listening', frame),
    { type: 'transcript', message: { role: 'assistant', kind: 'delta', itemId: 'a-worst', responseId: 'r-worst', text: `word${frame} ` } },
    { type: 'status', service: 'realtime-sim', online: frame % 2 === 0 },
  ]);
}
