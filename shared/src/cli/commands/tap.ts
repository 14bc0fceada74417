import { parseArgs } from 'node:util';
import type { Payload } from '../../bus/bus.js';
import { RECORDABLE_STREAMS, type RecordableStream } from '../../contract/schemas.js';
import { BUS_OPTIONS, CliBus } from '../cli-bus.js';
import { table } from '../terminal.js';
import { positiveMs, UsageError } from './options.js';

type RecorderState = Payload<'recorder.state'>;

/** How long the recorder has to say its new state after a command. */
const ANSWER_MS = 3000;

/**
 * `voxbus tap …`: recordings made on the board by the recorder service (the files stay there).
 *   tap start <mic|input|output|played> [--seconds N] [--name x]   start one (one at a time)
 *   tap stop                                                      stop it; its file is written
 *   tap list                                                      what is on the board
 *   tap delete <name>                                             delete one
 * Each waits for the recorder's retained state to say it happened, and says its refusal if not.
 */
export async function tap(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({ args, allowPositionals: true, options: { ...BUS_OPTIONS, seconds: { type: 'string' }, name: { type: 'string' } } });
  const [action, argument] = positionals;
  const usage = `voxbus tap: start <${RECORDABLE_STREAMS.join('|')}> [--seconds N] [--name x], stop, list or delete <name>`;
  if (action === undefined || !['start', 'stop', 'list', 'delete'].includes(action)) throw new UsageError(usage);
  if (action === 'start' && !(RECORDABLE_STREAMS as readonly string[]).includes(argument ?? '')) throw new UsageError(usage);
  if (action === 'delete' && argument === undefined) throw new UsageError(usage);
  const seconds = values.seconds === undefined ? undefined : positiveMs(values.seconds, 0, 'seconds', 's');
  const bus = await CliBus.connect({ url: values.url, baseTopic: values['base-topic'] });
  try {
    const status = (await bus.retained('recorder/status')) as Payload<'service.status'> | undefined;
    if (status?.status !== 'online') {
      console.error(`voxbus tap: the recorder is not running on ${bus.url} (VOXBUS_RECORDER__ENABLED=true starts it)`);
      return 1;
    }
    const states: RecorderState[] = [];
    bus.onMessage((message) => {
      // Live states only: the retained copy the subscription brings is what was before the command.
      if (message.key === 'recorder.state' && message.payload !== undefined && !message.retained) states.push(message.payload as RecorderState);
    });
    await bus.subscribe('recorder/state');
    const answered = async (test: (state: RecorderState) => boolean): Promise<RecorderState | undefined> => {
      const from = states.length;
      for (const deadline = Date.now() + ANSWER_MS; Date.now() < deadline; await new Promise((resolve) => setTimeout(resolve, 50))) {
        const found = states.slice(from).find((state) => test(state) || state.lastError !== null);
        if (found) return found;
      }
      return undefined;
    };
    let outcome: RecorderState | undefined;
    if (action === 'list') {
      outcome = (await bus.retained('recorder/state')) as RecorderState | undefined;
    } else if (action === 'start') {
      const waiting = answered((s) => s.recording !== null);
      await bus.publish('recorder.cmd.start', {}, { stream: argument as RecordableStream, ...(seconds === undefined ? {} : { seconds }), ...(values.name === undefined ? {} : { name: values.name }) });
      outcome = await waiting;
    } else if (action === 'stop') {
      const waiting = answered((s) => s.recording === null);
      await bus.publish('recorder.cmd.stop', {}, {});
      outcome = await waiting;
    } else {
      const waiting = answered((s) => !s.files.some((f) => f.name === argument));
      await bus.publish('recorder.cmd.delete', {}, { name: argument as string });
      outcome = await waiting;
    }
    if (outcome === undefined) {
      console.error(`voxbus tap ${action}: the recorder did not answer within ${ANSWER_MS} ms`);
      return 1;
    }
    if (outcome.lastError !== null && action !== 'list') {
      console.error(`voxbus tap ${action}: refused: ${outcome.lastError.message}`);
      return 1;
    }
    console.log(describeState(outcome));
    return 0;
  } finally {
    await bus.close();
  }
}

function describeState(state: RecorderState): string {
  const recording = state.recording
    ? `recording ${state.recording.stream} as ${state.recording.name}: ${(state.recording.durationMs / 1000).toFixed(1)} s so far${state.recording.untilMs === null ? ' (until stopped)' : `, until ${new Date(state.recording.untilMs).toLocaleTimeString()}`}`
    : 'not recording';
  const rows = state.files.map((f) => [f.name, f.stream, `${(f.durationMs / 1000).toFixed(1)} s`, `${f.sampleRateHz} Hz ${f.channels} ch`, `${(f.bytes / 2 ** 20).toFixed(2)} MiB`, f.missingFrames > 0 ? `${f.missingFrames} frames lost` : '']);
  const files = rows.length === 0 ? 'no recordings on the board' : table([['name', 'stream', 'length', 'format', 'size', ''], ...rows]);
  return `${recording}\n${files}\n${(state.usedBytes / 2 ** 20).toFixed(1)} of ${(state.maxTotalBytes / 2 ** 20).toFixed(0)} MiB used`;
}
