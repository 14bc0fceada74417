import {
  type AudioFrame,
  type Bus,
  type Clock,
  type Logger,
  type MetricsRegistry,
  type RealtimeDialect,
  realtimeEventErrors,
  type TimerHandle,
} from '@voxbus/shared';
import { ItemAudio, MODEL_RATE_HZ } from './audio-out.js';

/** Beta (Azure preview, Voice Live) event names, as their GA names: the link speaks GA inside. */
const FROM_BETA: Readonly<Record<string, string>> = {
  'conversation.item.created': 'conversation.item.added',
  'response.audio.delta': 'response.output_audio.delta',
  'response.audio.done': 'response.output_audio.done',
  'response.audio_transcript.delta': 'response.output_audio_transcript.delta',
  'response.audio_transcript.done': 'response.output_audio_transcript.done',
  'response.text.delta': 'response.output_text.delta',
  'response.text.done': 'response.output_text.done',
};

/** Errors that retrying cannot fix (livekit's list, docs/realtime notes §4.2). */
const FATAL_CODES = new Set(['invalid_api_key', 'insufficient_quota', 'account_deactivated', 'billing_hard_limit_reached']);

/** Server events that have a topic of their own; every other one is mirrored raw. */
const HANDLED = new Set([
  'response.output_audio.delta', 'response.output_audio.done',
  'response.output_audio_transcript.delta', 'response.output_audio_transcript.done',
  'conversation.item.input_audio_transcription.delta', 'conversation.item.input_audio_transcription.completed',
  'input_audio_buffer.speech_started', 'input_audio_buffer.speech_stopped',
  'response.created', 'response.done', 'error',
]);

export interface RealtimeLinkOptions {
  readonly dialect: RealtimeDialect;
  readonly bus: Bus;
  readonly clock: Clock;
  readonly log: Logger;
  readonly metrics: MetricsRegistry;
  /** The session.update body to (re)apply on every new session. */
  readonly sessionUpdate: () => Record<string, unknown>;
  /** Writes one client event to the socket; false when there is no socket. */
  readonly send: (text: string) => boolean;
  readonly appendBatchMs: number;
  readonly frameMs: number;
  readonly toolTimeoutMs: number;
}

type Json = Record<string, unknown>;

interface PendingTool {
  readonly name: string;
  readonly responseId: string;
  output?: string;
  timer: TimerHandle;
}

/**
 * The realtime protocol on the board's side, for one connection at a time and across
 * reconnects: input frames → batched `input_audio_buffer.append`; server events → audio frames,
 * transcripts, VAD, response lifecycle, errors and raw mirrors on the bus; bus commands and tool
 * answers → client events. Every client event is checked against the official schema of the
 * dialect before it is sent. Knows nothing about sockets or MQTT.
 */
export class RealtimeLink {
  private sessionId: string | null = null;
  private inputBatch: Buffer[] = [];
  private inputBatchBytes = 0;
  private readonly items = new Map<string, ItemAudio>();
  private activeResponseId: string | undefined;
  private readonly firstAudioSent = new Set<string>();
  private readonly tools = new Map<string, PendingTool>();
  private outputSequence = 0;
  private speechStoppedAtMs: number | undefined;
  /** End of the user's speech (or the commit) to the first audio of the reply, last turn. */
  private lastTurnLatencyMs = 0;
  private readonly counters;

  constructor(private readonly o: RealtimeLinkOptions) {
    const m = o.metrics;
    this.counters = {
      eventsIn: m.counter('events.received'),
      eventsOut: m.counter('events.sent'),
      bytesIn: m.counter('bytes.received'),
      bytesOut: m.counter('bytes.sent'),
      audioDeltas: m.counter('audio.deltasReceived'),
      audioMs: m.counter('audio.msReceived'),
      refused: m.counter('events.refusedBySchema'),
      unparsable: m.counter('events.unparsable'),
      inputDropped: m.counter('input.framesDroppedOffline'),
      toolTimeouts: m.counter('tools.timedOut'),
      toolAnswersDropped: m.counter('tools.answersDropped'),
      turns: m.counter('turns.answered'),
    };
    m.gauge('turn.lastSpeechStoppedToFirstAudioMs', () => this.lastTurnLatencyMs);
  }

  get session(): string | null {
    return this.sessionId;
  }

  /**
   * A new socket is open: forget per-connection state. The new session knows none of the old
   * one's items or calls: an answer to an old call_id, or a truncate of an old item, would be
   * refused by the service ("No tool call found…", "Item … not found") and a reply would be made
   * without the tool's output.
   */
  connectionOpened(): void {
    this.sessionId = null;
    this.inputBatch = [];
    this.inputBatchBytes = 0;
    this.activeResponseId = undefined;
    this.items.clear();
    this.firstAudioSent.clear();
    for (const callId of [...this.tools.keys()]) this.dropTool(callId);
  }

  /** One text frame from the service. */
  receive(text: string): void {
    this.counters.eventsIn.inc();
    this.counters.bytesIn.inc(Buffer.byteLength(text));
    let event: Json;
    try {
      const parsed: unknown = JSON.parse(text);
      if (!parsed || typeof parsed !== 'object' || typeof (parsed as Json).type !== 'string') throw new Error('no type');
      event = parsed as Json;
    } catch {
      this.counters.unparsable.inc();
      this.o.log.warn({ bytes: text.length }, 'unparsable event from the realtime service dropped');
      return;
    }
    const wireType = event.type as string;
    const type = this.o.dialect === 'beta' ? (FROM_BETA[wireType] ?? wireType) : wireType;
    try {
      this.handle(type, event);
    } catch (error) {
      this.o.log.error({ type: wireType, err: (error as Error).message }, 'could not handle a realtime event');
    }
    if (!HANDLED.has(type)) this.o.bus.publish('gateway.event.raw', { type: wireType }, stripAudio(event) as { type: string });
  }

  /** A model-ready frame from the dsp. */
  inputFrame(frame: AudioFrame, connected: boolean): void {
    if (!connected || this.sessionId === null) {
      this.counters.inputDropped.inc();
      return;
    }
    const pcm = Buffer.from(frame.pcm.buffer, frame.pcm.byteOffset, frame.pcm.byteLength);
    this.inputBatch.push(pcm);
    this.inputBatchBytes += pcm.length;
    if (this.inputBatchBytes >= (this.o.appendBatchMs * MODEL_RATE_HZ * 2) / 1000) this.flushInput();
  }

  // ---- commands ---------------------------------------------------------------------------

  cancel(): void {
    if (!this.activeResponseId) {
      this.o.log.debug('cancel: no response running');
      return;
    }
    this.sendEvent({ type: 'response.cancel' });
  }

  /** Truncates to what was heard, never more than what was received. */
  truncate(itemId: string, audioEndMs: number): void {
    const item = this.items.get(itemId);
    if (!item) {
      this.o.log.warn({ itemId }, 'truncate: no assistant audio received for that item');
      return;
    }
    const clamped = Math.max(0, Math.min(audioEndMs, Math.floor(item.receivedMs)));
    this.sendEvent({ type: 'conversation.item.truncate', item_id: itemId, content_index: 0, audio_end_ms: clamped });
  }

  say(text: string): void {
    this.sendEvent({ type: 'conversation.item.create', item: { type: 'message', role: 'user', content: [{ type: 'input_text', text }] } });
    this.sendEvent({ type: 'response.create' });
  }

  system(text: string): void {
    this.sendEvent({ type: 'conversation.item.create', item: { type: 'message', role: 'system', content: [{ type: 'input_text', text }] } });
  }

  clearInput(): void {
    this.inputBatch = [];
    this.inputBatchBytes = 0;
    this.sendEvent({ type: 'input_audio_buffer.clear' });
  }

  /** Push-to-talk release: everything heard so far, then a response. */
  commit(): void {
    this.flushInput();
    this.speechStoppedAtMs = this.o.clock.nowMs();
    this.sendEvent({ type: 'input_audio_buffer.commit' });
    this.sendEvent({ type: 'response.create' });
  }

  /** Sends a raw client event; returns why it was refused, if it was. */
  raw(event: Json): string | undefined {
    return this.sendEvent(event) ? undefined : (realtimeEventErrors(this.o.dialect, 'client', event) ?? 'not connected');
  }

  updateSession(): void {
    this.sendEvent({ type: 'session.update', session: this.o.sessionUpdate() });
  }

  /** The answer to a tool call, from the bus. */
  toolAnswer(callId: string, output: string): void {
    const pending = this.tools.get(callId);
    if (!pending || pending.output !== undefined) {
      this.counters.toolAnswersDropped.inc();
      this.o.log.info({ callId }, 'tool answer dropped: no such call in this session (answered twice, or its session ended)');
      return;
    }
    pending.timer.cancel();
    pending.output = output;
    this.deliverToolOutputs();
  }

  // ---- internals --------------------------------------------------------------------------

  /** Validates and sends; false (logged, counted) when the schema refuses it or nothing is connected. */
  private sendEvent(event: Json): boolean {
    const errors = realtimeEventErrors(this.o.dialect, 'client', event);
    if (errors) {
      this.counters.refused.inc();
      this.o.log.error({ type: event.type, err: errors }, 'client event refused: it breaks the official schema');
      return false;
    }
    const text = JSON.stringify(event);
    if (!this.o.send(text)) {
      this.o.log.warn({ type: event.type }, 'not connected: client event not sent');
      return false;
    }
    this.counters.eventsOut.inc();
    this.counters.bytesOut.inc(text.length);
    return true;
  }

  private flushInput(): void {
    if (this.inputBatchBytes === 0) return;
    const audio = Buffer.concat(this.inputBatch).toString('base64');
    this.inputBatch = [];
    this.inputBatchBytes = 0;
    this.sendEvent({ type: 'input_audio_buffer.append', audio });
  }

  private handle(type: string, event: Json): void {
    switch (type) {
      case 'session.created':
        this.sessionId = String((event.session as Json | undefined)?.id ?? '') || null;
        this.updateSession();
        return;
      case 'input_audio_buffer.speech_started':
      case 'input_audio_buffer.speech_stopped': {
        const started = type.endsWith('started');
        if (!started) this.speechStoppedAtMs = this.o.clock.nowMs();
        this.o.bus.publish('gateway.event.vad', {}, {
          kind: started ? 'speech_started' : 'speech_stopped',
          itemId: String(event.item_id ?? ''),
          audioMs: Number((started ? event.audio_start_ms : event.audio_end_ms) ?? 0),
        });
        return;
      }
      case 'conversation.item.input_audio_transcription.delta':
      case 'conversation.item.input_audio_transcription.completed': {
        const final = type.endsWith('completed');
        this.o.bus.publish('gateway.event.transcript', {}, {
          role: 'user', kind: final ? 'final' : 'delta', itemId: String(event.item_id ?? ''), responseId: null,
          text: String((final ? event.transcript : event.delta) ?? ''),
        });
        return;
      }
      case 'response.output_audio_transcript.delta':
      case 'response.output_audio_transcript.done': {
        const final = type.endsWith('done');
        this.o.bus.publish('gateway.event.transcript', {}, {
          role: 'assistant', kind: final ? 'final' : 'delta', itemId: String(event.item_id ?? ''), responseId: String(event.response_id ?? '') || null,
          text: String((final ? event.transcript : event.delta) ?? ''),
        });
        return;
      }
      case 'response.created': {
        const response = (event.response ?? {}) as Json;
        const id = String(response.id ?? '');
        if (response.conversation_id !== null) this.activeResponseId = id;
        this.o.bus.publish('gateway.event.response', {}, { kind: 'created', responseId: id, status: 'in_progress', reason: null, audioMs: 0 });
        return;
      }
      case 'response.output_audio.delta':
        return this.audioDelta(event);
      case 'response.output_audio.done': {
        const item = this.items.get(String(event.item_id ?? ''));
        if (item) for (const frame of item.flush((offset, pcm) => this.frame(item, offset, pcm))) this.o.bus.publish('audio.output', {}, frame);
        return;
      }
      case 'response.function_call_arguments.done':
        return this.toolCall(event);
      case 'response.done':
        return this.responseDone(event);
      case 'error':
        return this.serverError(event);
      default:
        return;
    }
  }

  private frame(item: ItemAudio, sampleOffset: number, pcm: Uint8Array): AudioFrame {
    return {
      sampleRateHz: MODEL_RATE_HZ,
      channels: 1,
      sampleFormat: 's16le',
      sequence: this.outputSequence++ >>> 0,
      captureTimeUs: this.o.clock.monotonicUs(),
      item: { responseId: item.responseId, itemId: item.itemId, sampleOffset },
      pcm,
    };
  }

  private audioDelta(event: Json): void {
    const itemId = String(event.item_id ?? '');
    const responseId = String(event.response_id ?? '');
    let item = this.items.get(itemId);
    if (!item) {
      item = new ItemAudio(responseId, itemId, this.o.frameMs);
      this.items.set(itemId, item);
      // Keep the per-item record bounded: truncation only ever concerns recent items.
      if (this.items.size > 64) this.items.delete(this.items.keys().next().value as string);
    }
    const pcm = Buffer.from(String(event.delta ?? ''), 'base64');
    this.counters.audioDeltas.inc();
    this.counters.audioMs.inc(Math.round(pcm.length / 48));
    const target = item;
    for (const frame of target.push(pcm, (offset, bytes) => this.frame(target, offset, bytes))) this.o.bus.publish('audio.output', {}, frame);
    if (!this.firstAudioSent.has(responseId)) {
      this.firstAudioSent.add(responseId);
      const latencyMs = this.speechStoppedAtMs === undefined ? undefined : this.o.clock.nowMs() - this.speechStoppedAtMs;
      if (latencyMs !== undefined) {
        this.lastTurnLatencyMs = latencyMs;
        this.speechStoppedAtMs = undefined;
      }
      this.counters.turns.inc();
      this.o.log.info({ responseId, speechStoppedToFirstAudioMs: latencyMs }, 'first audio of the turn');
      this.o.bus.publish('gateway.event.response', {}, { kind: 'first_audio', responseId, status: 'in_progress', reason: null, audioMs: 0 });
    }
  }

  private responseDone(event: Json): void {
    const response = (event.response ?? {}) as Json;
    const id = String(response.id ?? '');
    const details = (response.status_details ?? null) as Json | null;
    const audioMs = [...this.items.values()].filter((item) => item.responseId === id).reduce((sum, item) => sum + item.receivedMs, 0);
    const status = String(response.status ?? 'completed') as 'completed' | 'cancelled' | 'failed' | 'incomplete';
    this.o.bus.publish('gateway.event.response', {}, {
      kind: 'done', responseId: id, status, reason: typeof details?.reason === 'string' ? details.reason : null, audioMs: Math.round(audioMs),
    });
    this.o.log.info({ responseId: id, status, audioMs: Math.round(audioMs) }, 'turn done');
    this.firstAudioSent.delete(id);
    if (this.activeResponseId === id) this.activeResponseId = undefined;
    // A failed response does not continue a tool loop (docs/realtime notes §5).
    if (status === 'failed') for (const [callId, tool] of this.tools) if (tool.responseId === id) this.dropTool(callId);
    this.deliverToolOutputs();
  }

  private serverError(event: Json): void {
    const error = (event.error ?? {}) as Json;
    const code = typeof error.code === 'string' ? error.code : null;
    const benign = code === 'response_cancel_not_active';
    this.o.log[benign ? 'debug' : 'warn']({ code, message: error.message, param: error.param }, 'error from the realtime service');
    this.o.bus.publish('gateway.event.error', {}, {
      type: String(error.type ?? 'server_error'),
      code,
      message: String(error.message ?? ''),
      param: typeof error.param === 'string' ? error.param : null,
      fatal: code !== null && FATAL_CODES.has(code),
    });
  }

  /** The model called a tool: ask the bus; whoever implements it answers on tools/res/<name>. */
  private toolCall(event: Json): void {
    const callId = String(event.call_id ?? '');
    const name = String(event.name ?? '');
    if (!callId || !name || this.tools.has(callId)) return;
    const timer = this.o.clock.setTimer(`tool ${name}`, this.o.toolTimeoutMs, () => {
      this.counters.toolTimeouts.inc();
      this.o.log.warn({ name, callId, timeoutMs: this.o.toolTimeoutMs }, 'tool call not answered in time');
      this.toolAnswer(callId, JSON.stringify({ error: `the tool ${name} did not answer within ${this.o.toolTimeoutMs} ms` }));
    });
    this.tools.set(callId, { name, responseId: String(event.response_id ?? ''), timer });
    this.o.bus.publish('tools.req', { name }, { requestId: callId, name, arguments: String(event.arguments ?? '') });
  }

  private dropTool(callId: string): void {
    this.tools.get(callId)?.timer.cancel();
    this.tools.delete(callId);
  }

  /**
   * Outputs go back once the response that made the calls is done (a response.create during it
   * would collide), all answered calls at once, then one response.create.
   */
  private deliverToolOutputs(): void {
    const ready = [...this.tools].filter(([, tool]) => tool.output !== undefined && tool.responseId !== this.activeResponseId);
    if (ready.length === 0) return;
    for (const [callId, tool] of ready) {
      this.sendEvent({ type: 'conversation.item.create', item: { type: 'function_call_output', call_id: callId, output: tool.output } });
      this.tools.delete(callId);
    }
    if (!this.activeResponseId) this.sendEvent({ type: 'response.create' });
  }
}

/** The event with base64 audio replaced by its decoded size, for the bus. */
export function stripAudio(event: Json): Json {
  const strip = (value: unknown, key: string | undefined): unknown => {
    if (typeof value === 'string' && (key === 'audio' || (key === 'delta' && String(event.type).includes('audio.')))) {
      return `<${Math.floor((value.length * 3) / 4)} bytes of audio>`;
    }
    if (Array.isArray(value)) return value.map((entry) => strip(entry, undefined));
    if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, strip(v, k)]));
    return value;
  };
  return strip(event, undefined) as Json;
}
