import type { Payload } from '../bus/bus.js';
import type { TopicKey } from '../contract/contract.js';
import type { CliMessage } from './cli-bus.js';
import type { Paint } from './terminal.js';

/** What a monitor leaves out unless asked: the audio and the meters (they drown the rest). */
export interface ShowOptions {
  readonly audio: boolean;
  readonly levels: boolean;
  readonly metrics: boolean;
  readonly raw: boolean;
}

const payloadOf = <K extends TopicKey>(message: CliMessage, _key: K) => message.payload as Payload<K>;
const ms = (value: number | null | undefined) => (value === null || value === undefined ? '–' : `${Math.round(value)} ms`);
const mib = (bytes: number | null | undefined) => (bytes === null || bytes === undefined ? '–' : `${(bytes / 2 ** 20).toFixed(1)} MiB`);

/** Whether a message is one `show` leaves out. */
export function hidden(message: CliMessage, show: ShowOptions): boolean {
  const { key } = message;
  if (key?.startsWith('audio.') || (key === undefined && message.path.startsWith('audio/'))) return !show.audio;
  if (key === 'dsp.event.levels') return !show.levels;
  if (key === 'service.metrics') return !show.metrics;
  if (key === 'realtime-gateway.event.raw') return !show.raw;
  // Positions come five times a second while a reply plays; started, drained and flushed say enough.
  if (key === 'playback.event.item') return (message.payload as { kind?: string } | undefined)?.kind === 'position' && !show.levels;
  return false;
}

/**
 * One message as a line for a person: the topic below the base, and what it says in words. A
 * message that broke the contract is said as such (the monitor is where a person notices).
 */
export function readable(message: CliMessage, paint: Paint): string {
  const where = paint.dim(message.path.padEnd(34));
  if (message.error !== undefined) return `${where} ${paint.red(`breaks the contract: ${message.error}`)}`;
  return `${where} ${words(message, paint)}`;
}

function words(message: CliMessage, paint: Paint): string {
  switch (message.key) {
    case 'service.status': {
      const s = payloadOf(message, 'service.status');
      const text = `${s.status} (${s.reason}) pid ${s.pid} on ${s.host}, version ${s.version}`;
      return s.status === 'online' ? paint.green(text) : paint.red(text);
    }
    case 'service.metrics': {
      const m = payloadOf(message, 'service.metrics');
      const cpuPercent = m.uptimeMs > 0 ? ((m.process.cpuUserUs + m.process.cpuSystemUs) / 1000 / m.uptimeMs) * 100 : 0;
      return `PSS ${mib(m.process.pssBytes)}, RSS ${mib(m.process.rssBytes)}, CPU ${cpuPercent.toFixed(1)} % since start, errors ${busErrors(m.bus)}`;
    }
    case 'conversation.state': {
      const s = payloadOf(message, 'conversation.state');
      const muted = [s.muted.user ? 'user muted' : '', s.muted.assistant ? 'assistant muted' : ''].filter(Boolean);
      const error = s.lastError ? paint.red(` error ${s.lastError.code}: ${s.lastError.message}`) : '';
      return `${paint.bold(s.state)}${s.phase ? ` (${s.phase})` : ''}, ${s.mode}, ${s.vad} VAD, mic ${s.micOpen ? 'open' : 'closed'}${muted.length ? `, ${muted.join(', ')}` : ''}, turn ${s.turn}${error}`;
    }
    case 'conversation.event.turn': {
      const t = payloadOf(message, 'conversation.event.turn');
      const latency = `end of speech → first audio ${ms(t.latencyMs.speechStoppedToFirstAudio)}, → heard ${ms(t.latencyMs.speechStoppedToHeard)}`;
      const barge = t.bargeInMs === null ? '' : `, barge-in ${ms(t.bargeInMs)}`;
      return `${paint.bold(`turn ${t.turn} ${t.outcome}`)}: ${latency}, heard ${ms(t.heardMs)} of ${ms(t.receivedMs)}${barge}`;
    }
    case 'realtime-gateway.event.transcript': {
      const t = payloadOf(message, 'realtime-gateway.event.transcript');
      const who = t.role === 'user' ? paint.cyan('you') : paint.magenta('assistant');
      return t.kind === 'final' ? `${who}: ${t.text}` : `${who} …${paint.dim(t.text)}`;
    }
    case 'realtime-gateway.event.error': {
      const e = payloadOf(message, 'realtime-gateway.event.error');
      return paint.red(`${e.fatal ? 'fatal ' : ''}error ${e.code ?? e.type}: ${e.message}`);
    }
    case 'realtime-gateway.state': {
      const s = payloadOf(message, 'realtime-gateway.state');
      return `${paint.bold(s.state)} ${s.provider} ${s.model}${s.reason ? ` (${s.reason})` : ''}${s.attempt > 0 ? `, attempt ${s.attempt}` : ''}`;
    }
    case 'realtime-gateway.event.response': {
      const r = payloadOf(message, 'realtime-gateway.event.response');
      return `response ${r.kind}${r.status ? ` ${r.status}` : ''}${r.reason ? ` (${r.reason})` : ''}, ${r.audioMs} ms of audio`;
    }
    case 'playback.event.item': {
      const i = payloadOf(message, 'playback.event.item');
      return `item ${i.kind} ${i.itemId}: heard ${ms(i.heardMs)} of ${ms(i.receivedMs)}`;
    }
    case 'playback.state':
    case 'audio-capture.state': {
      const s = message.payload as Payload<'playback.state'> | Payload<'audio-capture.state'>;
      const granted = s.granted ? `${s.granted.sampleRateHz} Hz ${s.granted.channels} ch ${s.granted.sampleFormat}` : 'not open';
      const volume = 'volume' in s ? `, volume ${s.volume}${s.muted ? ', muted' : ''}` : '';
      const error = s.error ? paint.red(` ${s.error.code}: ${s.error.message}${s.retryInMs === null ? '' : ` (retry in ${s.retryInMs} ms)`}`) : '';
      return `${paint.bold(s.state)} ${s.device}, ${granted}${volume}${error}`;
    }
    case 'dsp.state': {
      const s = payloadOf(message, 'dsp.state');
      const echo = s.echo.active ? `, echo ${s.echo.converged ? 'converged' : 'not converged'} (ERLE ${s.echo.erleDb ?? '–'} dB, delay ${ms(s.echo.delayMs)})` : '';
      return `${paint.bold(s.state)} ${s.engine}${s.muted ? ', muted' : ''}${echo}`;
    }
    case 'dsp.event.levels': {
      const l = payloadOf(message, 'dsp.event.levels');
      return `mic ${l.input.rmsDbfs.toFixed(0)} dBFS, to the model ${l.output.rmsDbfs.toFixed(0)} dBFS${l.voice ? ', voice' : ''}`;
    }
    case 'audio.mic':
    case 'audio.input':
    case 'audio.output':
    case 'audio.played': {
      const f = payloadOf(message, 'audio.mic');
      const frames = f.pcm.length / f.channels / (f.sampleFormat === 's16le' ? 2 : 4);
      return paint.dim(`#${f.sequence} ${((frames / f.sampleRateHz) * 1000).toFixed(0)} ms ${f.sampleRateHz} Hz ${f.channels} ch${f.item ? ` item ${f.item.itemId}` : ''}`);
    }
    default:
      return message.bytes.length === 0 ? paint.dim('(empty)') : compact(message.payload);
  }
}

/** A payload on one line, cut at a width a terminal shows. */
function compact(payload: unknown): string {
  const text = JSON.stringify(payload) ?? '';
  return text.length > 160 ? `${text.slice(0, 157)}…` : text;
}

/** The bus counters that mean something went wrong, summed. */
export function busErrors(bus: Payload<'service.metrics'>['bus']): number {
  const sum = (record: Readonly<Record<string, number>>) => Object.values(record).reduce((a, b) => a + b, 0);
  return sum(bus.invalidReceived) + sum(bus.refusedPublishes) + sum(bus.droppedOutgoing) + sum(bus.droppedIncoming) + sum(bus.handlerErrors);
}
