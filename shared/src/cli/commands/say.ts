import { parseArgs } from 'node:util';
import type { Payload } from '../../bus/bus.js';
import { BUS_OPTIONS, CliBus } from '../cli-bus.js';
import { paintFor } from '../terminal.js';
import { positiveMs, UsageError } from './options.js';

/**
 * `voxbus say "text"`: the text goes to the model as the person's turn (realtime-gateway/cmd/say)
 * and the board speaks the answer; the answer's transcript is printed when it is final (up to
 * --timeout-ms), unless --no-wait. Refused at once when the gateway is not online.
 */
export async function say(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({ args, allowPositionals: true, options: { ...BUS_OPTIONS, 'timeout-ms': { type: 'string' }, 'no-wait': { type: 'boolean' } } });
  const text = positionals.join(' ').trim();
  if (text === '') throw new UsageError('voxbus say: give the text to say, e.g. voxbus say "what time is it?"');
  const timeoutMs = positiveMs(values['timeout-ms'], 30_000, 'timeout-ms');
  const bus = await CliBus.connect({ url: values.url, baseTopic: values['base-topic'] });
  const paint = paintFor(process.stdout);
  try {
    const gateway = await bus.retained('realtime-gateway/status');
    if ((gateway as Payload<'service.status'> | undefined)?.status !== 'online') {
      console.error(`voxbus say: realtime-gateway is not online on ${bus.url} (${gateway === undefined ? 'it never said its status' : 'offline'}); nothing was sent`);
      return 1;
    }
    const answer = new Promise<string | undefined>((resolve) => {
      const timer = setTimeout(() => resolve(undefined), timeoutMs);
      bus.onMessage((message) => {
        if (message.key !== 'realtime-gateway.event.transcript' || message.retained) return;
        const transcript = message.payload as Payload<'realtime-gateway.event.transcript'>;
        if (transcript.role === 'assistant' && transcript.kind === 'final') {
          clearTimeout(timer);
          resolve(transcript.text);
        }
      });
    });
    await bus.subscribe('realtime-gateway/event/transcript');
    await bus.publish('realtime-gateway.cmd.say', {}, { text });
    if (values['no-wait']) return 0;
    const reply = await answer;
    if (reply === undefined) {
      console.error(`voxbus say: sent; no answer's transcript within ${timeoutMs} ms (voxbus monitor shows what the conversation did)`);
      return 1;
    }
    console.log(`${paint.magenta('assistant')}: ${reply}`);
    return 0;
  } finally {
    await bus.close();
  }
}
