import { type AudioFrame, type Bus, type Clock, type Logger, type MetricsRegistry, RateLimitedLog, type RealtimeDialect } from '@voxbus/shared';
import { AssistantAudio } from './assistant-audio.js';
import { ClientEvents } from './client-events.js';
import { InputBatcher } from './input-batcher.js';
import { ServerEventIntake } from './server-event-intake.js';
import { TranscriptPacer } from './transcript-pacer.js';
import type { ResponseStatus, ServerEventTarget } from './server-events.js';
import { ToolCalls } from './tool-calls.js';

export interface RealtimeLinkOptions {
  readonly dialect: RealtimeDialect;
  readonly bus: Bus;
  readonly clock: Clock;
  readonly log: Logger;
  readonly metrics: MetricsRegistry;
  /** Writes one client event to the socket; false when there is no socket. */
  readonly send: (text: string) => boolean;
  /** A session was created on the current socket (its id, once the service says it). */
  readonly onSession: (sessionId: string | null) => void;
  /** What was said, as text (final transcripts, typed and system messages). */
  readonly onText?: (speaker: 'user' | 'assistant' | 'system', text: string) => void;
  /** A reply ended or the user stopped speaking: the link may be quiet now. */
  readonly onQuiet?: () => void;
  /** The service refused a client event that carried an event id (the error names it). */
  readonly onRefused?: (eventId: string, reason: string) => void;
  readonly appendBatchMs: number;
  /** Server event types not mirrored on event/raw. */
  readonly rawSkipped?: readonly string[];
  /** Transcript deltas of an item within this many ms are joined into one (0: each as it comes). */
  readonly transcriptDeltaMs?: number;
  readonly frameMs: number;
  readonly toolTimeoutMs: number;
}

type Json = Record<string, unknown>;

/**
 * The realtime protocol on the board's side, for one session at a time: input frames → batched
 * `input_audio_buffer.append`; server events (validated against the dialect's official schema,
 * then one handler each: server-events.ts) → audio frames, transcripts, VAD, response lifecycle,
 * errors and raw mirrors on the bus; commands and tool answers → client events, each checked
 * against the schema before it is sent. Knows nothing about sockets or MQTT.
 */
export class RealtimeLink implements ServerEventTarget {
  readonly bus: Bus;
  readonly log: Logger;
  private sessionId: string | null = null;
  private readonly input: InputBatcher;
  readonly audio: AssistantAudio;
  readonly tools: ToolCalls;
  readonly transcripts: TranscriptPacer;
  private readonly client: ClientEvents;
  private readonly intake: ServerEventIntake;
  private activeResponseId: string | undefined;
  private userSpeaking = false;
  /** A response.create went out and its response.created has not come back yet. */
  private responseRequested = false;
  private readonly inputDropped;
  private readonly truncatesUnknown;
  /** What commands cause, logged once per kind per 10 s: any client may send commands. */
  private readonly commandLog: RateLimitedLog;

  constructor(private readonly o: RealtimeLinkOptions) {
    this.bus = o.bus;
    this.log = o.log;
    const m = o.metrics;
    this.inputDropped = m.counter('input.framesDroppedOffline');
    this.commandLog = new RateLimitedLog(o.log, 10_000, () => o.clock.monotonicUs() / 1000);
    this.truncatesUnknown = m.counter('commands.truncateUnknownItem');
    this.intake = new ServerEventIntake(o.dialect, o.bus, o.log, m, o.clock, new Set(o.rawSkipped ?? []));
    this.transcripts = new TranscriptPacer(o.transcriptDeltaMs ?? 0, o.clock, (transcript) => o.bus.publish('realtime-gateway.event.transcript', {}, transcript));
    this.client = new ClientEvents(o.dialect, o.send, o.log, m, () => o.clock.monotonicUs() / 1000);
    this.input = new InputBatcher(o.appendBatchMs);
    this.audio = new AssistantAudio({ bus: o.bus, clock: o.clock, log: o.log, metrics: m, frameMs: o.frameMs });
    this.tools = new ToolCalls({
      clock: o.clock,
      log: o.log,
      metrics: m,
      timeoutMs: o.toolTimeoutMs,
      request: (callId, name, argumentsJson) => o.bus.publish('tools.req', { name }, { requestId: callId, name, arguments: argumentsJson }),
      onReady: () => this.deliverToolOutputs(),
    });
  }

  get session(): string | null {
    return this.sessionId;
  }

  /** Nothing is being said: no response running, the user not mid-sentence, no tool call open. */
  get quiet(): boolean {
    return this.activeResponseId === undefined && !this.responseRequested && !this.userSpeaking && this.tools.open === 0;
  }

  /**
   * A new socket is open: forget everything of the last session. The new one knows none of its
   * items or calls: an answer to an old call_id, or a truncate of an old item, would be refused
   * ("No tool call found…", "Item … not found") and a reply made without the tool's output.
   */
  connectionOpened(): void {
    this.transcripts.flushAll();
    this.sessionId = null;
    this.input.clear();
    this.activeResponseId = undefined;
    this.responseRequested = false;
    this.userSpeaking = false;
    this.audio.clear();
    this.tools.clear();
  }

  /** One text frame from the service. */
  receive(text: string): void {
    this.intake.receive(text, this);
  }

  /** A model-ready frame from the dsp. */
  inputFrame(frame: AudioFrame, connected: boolean): void {
    if (!connected || this.sessionId === null) {
      this.inputDropped.inc();
      return;
    }
    const audio = this.input.push(Buffer.from(frame.pcm.buffer, frame.pcm.byteOffset, frame.pcm.byteLength));
    if (audio !== undefined) this.client.send({ type: 'input_audio_buffer.append', audio });
  }

  // ---- commands ---------------------------------------------------------------------------

  cancel(): void {
    if (!this.activeResponseId) {
      this.o.log.debug('cancel: no response running');
      return;
    }
    this.client.send({ type: 'response.cancel' });
  }

  /** Truncates to what was heard, never more than what was received. */
  truncate(itemId: string, audioEndMs: number): void {
    const receivedMs = this.audio.receivedMs(itemId);
    if (receivedMs === undefined) {
      this.truncatesUnknown.inc();
      this.commandLog.warn('truncate unknown', { itemId }, 'truncate: no assistant audio of that item in this session');
      return;
    }
    const clamped = Math.max(0, Math.min(audioEndMs, Math.floor(receivedMs)));
    this.client.send({ type: 'conversation.item.truncate', item_id: itemId, content_index: 0, audio_end_ms: clamped });
  }

  say(text: string): void {
    this.o.onText?.('user', text);
    this.client.send({ type: 'conversation.item.create', item: { type: 'message', role: 'user', content: [{ type: 'input_text', text }] } });
    this.requestResponse({ type: 'response.create' });
  }

  system(text: string): void {
    this.o.onText?.('system', text);
    this.client.send({ type: 'conversation.item.create', item: { type: 'message', role: 'system', content: [{ type: 'input_text', text }] } });
  }

  clearInput(): void {
    this.input.clear();
    this.client.send({ type: 'input_audio_buffer.clear' });
  }

  /** Push-to-talk release: everything heard so far, then a response. */
  commit(): void {
    const audio = this.input.flush();
    if (audio !== undefined) this.client.send({ type: 'input_audio_buffer.append', audio });
    this.audio.turnEnded();
    this.client.send({ type: 'input_audio_buffer.commit' });
    this.requestResponse({ type: 'response.create' });
  }

  /** Sends a raw client event; returns why it was refused, if it was. */
  raw(event: Json): string | undefined {
    return this.client.send(event) ? undefined : (this.client.errors(event) ?? 'not connected');
  }

  /** Sends the session's settings; with `eventId`, an error naming it comes back to onRefused. */
  updateSession(session: Json, eventId?: string): void {
    this.client.send(eventId === undefined ? { type: 'session.update', session } : { type: 'session.update', event_id: eventId, session });
  }

  /** Adds items to this session's conversation (the last one's, replayed). */
  addItems(events: readonly Json[]): void {
    for (const event of events) this.client.send(event);
  }

  /** A response nobody asked for: the assistant speaks first (a greeting). */
  respond(instructions: string): void {
    this.requestResponse({ type: 'response.create', response: { instructions } });
  }

  /** The answer to a tool call, from the bus. */
  toolAnswer(callId: string, output: string): void {
    this.tools.answer(callId, output);
  }

  // ---- server events (server-events.ts calls these) ----------------------------------------

  sessionCreated(sessionId: string | null): void {
    this.sessionId = sessionId;
    this.o.onSession(sessionId);
  }

  clientEventRefused(eventId: string, reason: string): void {
    this.o.onRefused?.(eventId, reason);
  }

  userSpeech(speaking: boolean): void {
    this.userSpeaking = speaking;
    if (!speaking) this.o.onQuiet?.();
  }

  finalText(speaker: 'user' | 'assistant', text: string): void {
    this.o.onText?.(speaker, text);
  }

  responseCreated(responseId: string, inConversation: boolean): void {
    this.responseRequested = false;
    if (inConversation) this.activeResponseId = responseId;
    this.o.bus.publish('realtime-gateway.event.response', {}, { kind: 'created', responseId, status: 'in_progress', reason: null, audioMs: 0 });
  }

  responseDone(responseId: string, status: ResponseStatus, reason: string | null): void {
    const audioMs = this.audio.responseDone(responseId);
    this.o.bus.publish('realtime-gateway.event.response', {}, { kind: 'done', responseId, status, reason, audioMs });
    this.o.log.info({ responseId, status, audioMs }, 'turn done');
    if (this.activeResponseId === responseId) this.activeResponseId = undefined;
    // A failed response does not continue a tool loop (docs/realtime.md §5).
    if (status === 'failed') this.tools.responseFailed(responseId);
    this.deliverToolOutputs();
    this.o.onQuiet?.();
  }

  // ---- internals --------------------------------------------------------------------------

  /** Asks for a response; until it is created the link is not quiet (a rotation would lose it). */
  private requestResponse(event: Json): void {
    // Set before sending: an answer may come back before send returns (an in-memory transport).
    this.responseRequested = true;
    if (!this.client.send(event)) this.responseRequested = false;
  }

  /** Answered calls go back once their response is done, all at once, then one response.create. */
  private deliverToolOutputs(): void {
    const ready = this.tools.takeReady(this.activeResponseId);
    if (ready.length === 0) return;
    for (const { callId, output } of ready) this.client.send({ type: 'conversation.item.create', item: { type: 'function_call_output', call_id: callId, output } });
    if (!this.activeResponseId) this.requestResponse({ type: 'response.create' });
  }
}
