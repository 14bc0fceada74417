import { ROOM_NOISES, roomNoise, type VirtualBoard } from '@voxbus/shared/testing';
import { holdSummary, type Message, MIC_RATE_HZ, sleep, startStack } from './stack.js';

export interface NoiseRun {
  readonly vad: 'server' | 'local';
  readonly replies: number;
  /** Replies cut although only the noises sounded over them: goal 0. */
  readonly falseBargeIns: number;
  readonly outcomes: string[];
  /** Replies held (paused) by the noises and let go again, and how long each held: the price of pausing at a voice's first sign. */
  readonly heldAndResumed: ReturnType<typeof holdSummary>;
}

/**
 * `replies` replies in full-duplex with the given VAD, each with a cough, a click and a knock
 * over it (400, 900 and 1300 ms after it is first heard): counts the replies that were cut.
 */
export async function runNoises(board: VirtualBoard, question: Buffer, reply: string, vad: 'server' | 'local', replies: number): Promise<NoiseRun> {
  const stack = await startStack(board, { name: `${vad} VAD, noises`, env: { VOXBUS_CONVERSATION_STATE__MODE: 'full-duplex', VOXBUS_CONVERSATION_STATE__VAD: vad }, reply });
  const isTurn = (m: Message) => m.topic === 'voxbus/conversation/event/turn';
  const sounds = ROOM_NOISES.map((name, i) => roomNoise(name, MIC_RATE_HZ, i + 1));
  const outcomes: string[] = [];
  try {
    // One reply first, unmeasured, as in the other parts: the dsp learns whether the microphone hears the speaker.
    const warmUp = stack.messages.length;
    await board.speak(question, MIC_RATE_HZ);
    const warmed = await stack.waitFor((m) => isTurn(m) && m.json?.outcome === 'answered', warmUp, 30_000, 'answered warm-up turn');
    await stack.waitFor(stack.isListening, stack.messages.indexOf(warmed), 20_000, 'listening after the warm-up');
    process.stderr.write(`bench:e2e noises over the reply, ${vad} VAD: ${replies} replies…\n`);
    const measuredFrom = stack.messages.length;
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
    return { vad, replies, falseBargeIns: outcomes.filter((o) => o !== 'answered').length, outcomes, heldAndResumed: holdSummary(stack.messages, measuredFrom) };
  } finally {
    await stack.stop();
  }
}
