import { parseArgs } from 'node:util';
import { BUS_OPTIONS, CliBus, type CliMessage } from '../cli-bus.js';
import { hidden, readable, type ShowOptions } from '../readable.js';
import { clockTime, paintFor } from '../terminal.js';
import { positiveMs, untilStopped } from './options.js';

const FOLLOW_OPTIONS = {
  ...BUS_OPTIONS,
  seconds: { type: 'string' },
  audio: { type: 'boolean' },
  levels: { type: 'boolean' },
  metrics: { type: 'boolean' },
  raw: { type: 'boolean' },
  retained: { type: 'boolean' },
} as const;

/**
 * `voxbus monitor`: the bus as a person reads it, one line per event: states, transcripts, turns
 * with their latencies, errors, services going on and off line. Audio, levels, metrics and the
 * gateway's raw mirror are left out unless asked (--audio, --levels, --metrics, --raw); what is
 * retained now is shown first with --retained. Until Ctrl-C, or --seconds.
 */
export function monitor(args: string[]): Promise<number> {
  return follow('monitor', args, () => true);
}

/**
 * Follows the bus, printing the messages `mine` picks (and `show` does not leave out), until
 * stopped or the broker goes away (exit 1 then).
 */
export async function follow(command: string, args: string[], mine: (message: CliMessage, positionals: string[]) => boolean): Promise<number> {
  const { values, positionals } = parseArgs({ args, allowPositionals: true, options: FOLLOW_OPTIONS });
  const seconds = values.seconds === undefined ? undefined : positiveMs(values.seconds, 0, 'seconds', 's');
  const show: ShowOptions = { audio: values.audio === true, levels: values.levels === true, metrics: values.metrics === true, raw: values.raw === true };
  const bus = await CliBus.connect({ url: values.url, baseTopic: values['base-topic'] });
  const paint = paintFor(process.stdout);
  bus.onMessage((message) => {
    if ((message.retained && !values.retained) || hidden(message, show) || !mine(message, positionals)) return;
    process.stdout.write(`${paint.dim(clockTime(Date.now()))} ${readable(message, paint)}\n`);
  });
  await bus.subscribe('#');
  console.error(paint.dim(`voxbus ${command}: following ${bus.baseTopic}/# on ${bus.url}${seconds === undefined ? ' (Ctrl-C stops)' : ` for ${seconds} s`}`));
  const lost = bus.closed().then(() => 'lost' as const);
  const outcome = await Promise.race([untilStopped(seconds === undefined ? undefined : seconds * 1000).then(() => 'stopped' as const), lost]);
  if (outcome === 'lost') {
    console.error(`voxbus ${command}: the bus at ${bus.url} closed the connection`);
    return 1;
  }
  await bus.close();
  return 0;
}
