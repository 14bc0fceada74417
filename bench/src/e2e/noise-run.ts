import type { VirtualBoard } from '@voxbus/shared/testing';
import { type Message, MIC_RATE_HZ, sleep, startStack } from './stack.js';

/** Short noises a room makes while the assistant talks; none of them is a person speaking. */
export const NOISES = ['cough', 'click', 'knock'] as const;
export type NoiseName = (typeof NOISES)[number];

export interface NoiseRun {
  readonly vad: 'server' | 'local';
  readonly replies: number;
  /** Replies cut although only the noises sounded over them: goal 0. */
  readonly falseBargeIns: number;
  readonly outcomes: string[];
}

/** Deterministic noise in [-1, 1). */
function lcg(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1_664_525) + 1_013_904_223) >>> 0;
    return state / 2 ** 31 - 1;
  };
}

function pcm(values: Float64Array): Buffer {
  const out = Buffer.alloc(values.length * 2);
  for (const [i, v] of values.entries()) out.writeInt16LE(Math.round(Math.max(-1, Math.min(1, v)) * 32_767), i * 2);
  return out;
}

/**
 * The noises at 48 kHz, mono: a cough (250 ms of noise, a sharp attack and a 60 ms decay, loud),
 * a click (5 ms at full scale), a knock (two 150 Hz thuds 120 ms apart, each dying in 15 ms).
 */
export function noise(name: NoiseName, seed = 1): Buffer {
  const rate = MIC_RATE_HZ;
  const random = lcg(seed);
  if (name === 'cough') return pcm(Float64Array.from({ length: rate / 4 }, (_, i) => 0.6 * random() * Math.exp(-i / (0.06 * rate))));
  if (name === 'click') return pcm(Float64Array.from({ length: rate / 5 }, (_, i) => (i < rate / 200 ? (i % 2 === 0 ? 0.9 : -0.9) : 0)));
  const knock = new Float64Array(rate / 3);
  for (const startMs of [0, 120]) {
    const from = (startMs * rate) / 1000;
    for (let i = 0; i < rate / 20; i++) knock[from + i] = 0.7 * Math.sin((2 * Math.PI * 150 * i) / rate) * Math.exp(-i / (0.015 * rate));
  }
  return pcm(knock);
}

/**
 * `replies` replies in full-duplex with the given VAD, each with a cough, a click and a knock
 * over it (400, 900 and 1300 ms after it is first heard): counts the replies that were cut.
 */
export async function runNoises(board: VirtualBoard, question: Buffer, reply: string, vad: 'server' | 'local', replies: number): Promise<NoiseRun> {
  const stack = await startStack(board, { name: `${vad} VAD, noises`, env: { VOXBUS_CONVERSATION_STATE__MODE: 'full-duplex', VOXBUS_CONVERSATION_STATE__VAD: vad }, reply });
  const isTurn = (m: Message) => m.topic === 'voxbus/conversation/event/turn';
  const sounds = NOISES.map((name, i) => noise(name, i + 1));
  const outcomes: string[] = [];
  try {
    // One reply first, unmeasured, as in the other parts: the dsp learns whether the microphone hears the speaker.
    const warmUp = stack.messages.length;
    await board.speak(question, MIC_RATE_HZ);
    const warmed = await stack.waitFor((m) => isTurn(m) && m.json?.outcome === 'answered', warmUp, 30_000, 'answered warm-up turn');
    await stack.waitFor(stack.isListening, stack.messages.indexOf(warmed), 20_000, 'listening after the warm-up');
    process.stderr.write(`bench:e2e noises over the reply, ${vad} VAD: ${replies} replies…\n`);
    for (let i = 0; i < replies; i++) {
      const start = stack.messages.length;
      await board.speak(question, MIC_RATE_HZ);
      const started = await stack.waitFor(
        (m) => m.topic === 'voxbus/playback/event/item' && m.json?.kind === 'started' && !String(m.json.itemId).startsWith('earcon:'),
        start,
        20_000,
        'reply heard',
      );
      const from = stack.messages.indexOf(started);
      let waitedMs = 0;
      for (const [index, atMs] of [400, 900, 1300].entries()) {
        await sleep(atMs - waitedMs);
        waitedMs = atMs;
        await board.speak(sounds[index] as Buffer, MIC_RATE_HZ);
      }
      const turn = await stack.waitFor(isTurn, from, 30_000, 'the reply turn reported');
      outcomes.push(String(turn.json?.outcome));
      await stack.waitFor(stack.isListening, stack.messages.indexOf(turn), 20_000, 'listening again');
      await sleep(300);
    }
    return { vad, replies, falseBargeIns: outcomes.filter((o) => o !== 'answered').length, outcomes };
  } finally {
    await stack.stop();
  }
}
