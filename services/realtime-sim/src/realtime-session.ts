import type { Clock, Logger, RealtimeDialect, TimerHandle } from '@voxbus/shared';
import { type ConversationItem, Conversation, renderItem } from './conversation.js';
import type { Endpoint } from './endpoint.js';
import { EnergyVad, SAMPLES_PER_MS, type VadEvent } from './energy-vad.js';
import { invalidRequest, type RealtimeError } from './errors.js';
import { eventName } from './events.js';
import type { IdSource } from './ids.js';
import { ItemCommands, type ItemTurn } from './item-commands.js';
import { ResponseRun } from './response-run.js';
import { applySessionUpdate, defaultSession, renderSession, type SessionState } from './session-state.js';
import type { FunctionTool, ToolTrigger, TurnFacts } from './tool-trigger.js';
import type { Voice } from './voice.js';

export { defaultToolTrigger, type FunctionTool, type ToolTrigger, type TurnFacts } from './tool-trigger.js';

/**
 * How long the sim itself took over a response: from the moment it had the input that ended
 * the turn (the audio holding the end of speech, for server VAD; the commit; the request) to
 * its first audio delta, on CLOCK_MONOTONIC (shared with every process on the host). The
 * benchmark subtracts this from the whole turn to leave the board's own pipeline time.
 */
export interface ResponseTiming {
  readonly responseId: string;
  readonly trigger: 'server_vad' | 'commit' | 'request';
  readonly inputEndUs: number;
  readonly firstAudioUs: number;
}

export interface SimSessionOptions {
  readonly endpoint: Endpoint;
  readonly clock: Clock;
  readonly ids: IdSource;
  readonly voice: Voice;
  readonly log: Logger;
  /** How many times faster than real time assistant audio is streamed (the real service runs ahead). */
  readonly realtimeFactor: number;
  /** Audio per `response.output_audio.delta`. */
  readonly deltaMs: number;
  /** What the model says for a turn. */
  readonly replyText: (turn: TurnFacts) => string;
  /** When the model calls a function instead (default: never). */
  readonly toolTrigger?: ToolTrigger;
  /** The session cap: `session_expired`, then close 1001. */
  readonly sessionMaxMs: number;
  readonly send: (event: Record<string, unknown>) => void;
  readonly close: (code: number, reason: string) => void;
  /** Called once per response, when its first audio goes out. */
  readonly onTiming?: (timing: ResponseTiming) => void;
}

/** Appends remembered for timing (about 20 s of 100 ms appends). */
const APPEND_LOG_LENGTH = 200;

/** Commits need at least this much audio since the previous commit. */
const MIN_COMMIT_MS = 100;
const CLIENT_EVENT_TYPES = [
  'session.update', 'input_audio_buffer.append', 'input_audio_buffer.commit', 'input_audio_buffer.clear',
  'conversation.item.create', 'conversation.item.retrieve', 'conversation.item.truncate', 'conversation.item.delete',
  'response.create', 'response.cancel',
];

/**
 * One realtime session as the real service runs it, in the connection's dialect: session
 * config, the input buffer with server VAD on the input-audio clock, the conversation, and at
 * most one response writing to it. Knows nothing about sockets: events go out through `send`.
 */
export class SimSession {
  private session: SessionState;
  private readonly dialect: RealtimeDialect;
  private readonly conversation = new Conversation();
  private readonly items: ItemCommands;
  private readonly vad = new EnergyVad();
  private buffered: Int16Array[] = [];
  private bufferedSamples = 0;
  /** The user item that speech in progress will become (pre-assigned at speech_started). */
  private pendingUserItemId: string | undefined;
  private active: ResponseRun | undefined;
  private assistantAudioSent = false;
  private lastTurn: TurnFacts = { spokenMs: 0 };
  /** Input audio appended so far (the VAD's clock), and when each append arrived. */
  private appendedMs = 0;
  private readonly appendLog: { endMs: number; receivedUs: number }[] = [];
  /** What ended the turn the next response answers, and when the sim had it. */
  private turnEnd: { trigger: ResponseTiming['trigger']; inputEndUs: number } | undefined;
  private readonly timingOf = new Map<string, { trigger: ResponseTiming['trigger']; inputEndUs: number }>();
  private readonly timers: TimerHandle[] = [];
  private closed = false;

  constructor(private readonly options: SimSessionOptions) {
    this.dialect = options.endpoint.dialect;
    this.session = defaultSession(options.ids('sess'), options.endpoint.model, Math.floor(options.clock.nowMs() / 1000));
    this.items = new ItemCommands({ conversation: this.conversation, dialect: this.dialect, ids: options.ids, emit: (name, fields) => this.emit(name, fields) });
  }

  /** Sends `session.created` and arms the session cap. */
  open(): void {
    this.emit('session.created', { session: renderSession(this.session, this.dialect) });
    this.timers.push(this.options.clock.setTimer('session-expiry', this.options.sessionMaxMs, () => this.expire()));
  }

  /** Ends the session from the server side as the real one does at its cap. */
  expire(): void {
    const minutes = Math.round(this.options.sessionMaxMs / 60_000);
    const message = `Your session hit the maximum duration of ${minutes} minutes.`;
    this.error(invalidRequest('session_expired', message));
    this.shutdown();
    this.options.close(1001, message);
  }

  /** Stops every timer (the socket closed). */
  shutdown(): void {
    this.closed = true;
    this.active?.stop();
    for (const timer of this.timers) timer.cancel();
  }

  /** Handles one text frame from the client. */
  receive(text: string): void {
    if (this.closed) return;
    let event: Record<string, unknown>;
    try {
      const parsed: unknown = JSON.parse(text);
      if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) throw new Error('not an object');
      event = parsed as Record<string, unknown>;
    } catch {
      this.error(invalidRequest('invalid_json', 'The server could not parse the event as JSON.'));
      return;
    }
    const eventId = typeof event.event_id === 'string' ? event.event_id : null;
    const fail = (error: RealtimeError) => this.error({ ...error, event_id: eventId });
    switch (event.type) {
      case 'session.update':
        return this.updateSession(event.session, fail);
      case 'input_audio_buffer.append':
        return this.append(event.audio, fail);
      case 'input_audio_buffer.commit':
        return this.commitByClient(fail);
      case 'input_audio_buffer.clear':
        return this.clearInput();
      case 'conversation.item.create':
        return this.itemCreated(this.items.create(event.item, event.previous_item_id, fail));
      case 'conversation.item.truncate':
        return this.items.truncate(event, fail);
      case 'conversation.item.retrieve':
        return this.items.retrieve(event.item_id, fail);
      case 'conversation.item.delete':
        return this.items.delete(event.item_id, fail);
      case 'response.create':
        return this.createResponse(event.response, fail);
      case 'response.cancel':
        if (!this.active) return fail(invalidRequest('response_cancel_not_active', 'Cancellation failed: no active response found', null));
        return this.active.cancel('client_cancelled');
      default:
        return fail(
          invalidRequest('invalid_value', `Invalid value: '${String(event.type)}'. Supported values are: ${CLIENT_EVENT_TYPES.map((t) => `'${t}'`).join(', ')}.`, 'type'),
        );
    }
  }

  private emit(gaName: string, fields: Record<string, unknown>): void {
    const type = eventName(gaName, this.dialect);
    if (type === undefined || this.closed) return;
    this.options.send({ type, event_id: this.options.ids('event'), ...fields });
    if (gaName === 'response.output_audio.delta') this.firstAudio(String(fields.response_id ?? ''));
  }

  private firstAudio(responseId: string): void {
    const timing = this.timingOf.get(responseId);
    if (timing === undefined) return;
    this.timingOf.delete(responseId);
    this.options.onTiming?.({ responseId, ...timing, firstAudioUs: this.options.clock.monotonicUs() });
  }

  /** When the append holding input-clock position `ms` arrived (now, if none is remembered). */
  private receivedAt(ms: number): number {
    return this.appendLog.find((entry) => entry.endMs >= ms)?.receivedUs ?? this.options.clock.monotonicUs();
  }

  private error(error: RealtimeError): void {
    this.emit('error', { error: { event_id: null, ...error } });
  }

  private updateSession(update: unknown, fail: (error: RealtimeError) => void): void {
    const result = applySessionUpdate(this.session, update, {
      dialect: this.dialect,
      provider: this.options.endpoint.provider,
      assistantAudioSent: this.assistantAudioSent,
    });
    if ('error' in result) return fail(result.error);
    this.session = result.session;
    this.emit('session.updated', { session: renderSession(this.session, this.dialect) });
  }

  private append(audio: unknown, fail: (error: RealtimeError) => void): void {
    const bytes = typeof audio === 'string' && /^[A-Za-z0-9+/]*={0,2}$/.test(audio) ? Buffer.from(audio, 'base64') : undefined;
    if (!bytes || bytes.length % 2 !== 0) {
      return fail(invalidRequest('invalid_value', "Invalid 'audio'. Expected base64-encoded audio bytes (mono PCM16 at 24kHz) but got an invalid value.", 'audio'));
    }
    const samples = new Int16Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length));
    this.appendedMs += samples.length / SAMPLES_PER_MS;
    this.appendLog.push({ endMs: this.appendedMs, receivedUs: this.options.clock.monotonicUs() });
    if (this.appendLog.length > APPEND_LOG_LENGTH) this.appendLog.shift();
    this.buffered.push(samples);
    this.bufferedSamples += samples.length;
    const turnDetection = this.session.turnDetection;
    if (!turnDetection) {
      this.vad.skip(samples.length);
      return;
    }
    for (const vadEvent of this.vad.push(samples, turnDetection)) this.onVad(vadEvent);
  }

  private onVad(vadEvent: VadEvent): void {
    const turnDetection = this.session.turnDetection;
    if (!turnDetection) return;
    if (vadEvent.kind === 'started') {
      this.pendingUserItemId = this.options.ids('item');
      this.emit('input_audio_buffer.speech_started', { audio_start_ms: vadEvent.audioStartMs, item_id: this.pendingUserItemId });
      if (turnDetection.interrupt_response && this.active?.writesToConversation) this.active.cancel('turn_detected');
      return;
    }
    const itemId = this.pendingUserItemId ?? this.options.ids('item');
    this.pendingUserItemId = undefined;
    this.emit('input_audio_buffer.speech_stopped', { audio_end_ms: vadEvent.audioEndMs, item_id: itemId });
    // The speech ended where the silence window began.
    this.turnEnd = { trigger: 'server_vad', inputEndUs: this.receivedAt(vadEvent.audioEndMs - turnDetection.silence_duration_ms) };
    this.commit(itemId, vadEvent.speechMs);
    if (turnDetection.create_response && !this.active) this.startResponse({});
  }

  private commitByClient(fail: (error: RealtimeError) => void): void {
    const bufferedMs = this.bufferedSamples / SAMPLES_PER_MS;
    if (bufferedMs < MIN_COMMIT_MS) {
      return fail(
        invalidRequest(
          'input_audio_buffer_commit_empty',
          `Error committing input audio buffer: buffer too small. Expected at least ${MIN_COMMIT_MS}ms of audio, but buffer only has ${bufferedMs.toFixed(2)}ms of audio.`,
        ),
      );
    }
    const itemId = this.pendingUserItemId ?? this.options.ids('item');
    this.pendingUserItemId = undefined;
    this.vad.resetSpeech();
    this.turnEnd = { trigger: 'commit', inputEndUs: this.options.clock.monotonicUs() };
    this.commit(itemId, bufferedMs);
  }

  /** Turns the buffered audio into a user item; `spokenMs` is the speech in it, for the reply. */
  private commit(itemId: string, spokenMs: number): void {
    this.buffered = [];
    this.bufferedSamples = 0;
    const item: ConversationItem = {
      id: itemId,
      type: 'message',
      role: 'user',
      status: 'completed',
      // The transcript arrives later, by the transcription events (absent, not null, per the schema).
      content: [{ type: 'input_audio' }],
    };
    const added = this.conversation.add(item);
    const previousItemId = 'previousItemId' in added ? added.previousItemId : null;
    this.emit('input_audio_buffer.committed', { item_id: itemId, previous_item_id: previousItemId });
    this.emit('conversation.item.added', { previous_item_id: previousItemId, item: renderItem(item, this.dialect) });
    this.emit('conversation.item.done', { previous_item_id: previousItemId, item: renderItem(item, this.dialect) });
    this.lastTurn = { spokenMs: Math.round(spokenMs) };
    if (this.session.transcription) this.transcribe(itemId, spokenMs);
  }

  /** The sim has no speech recogniser: the "transcript" says how long the user spoke. */
  private transcribe(itemId: string, spokenMs: number): void {
    const transcript = `(${(spokenMs / 1000).toFixed(1)} s of speech)`;
    this.timers.push(
      this.options.clock.setTimer('transcription', 150, () => {
        this.emit('conversation.item.input_audio_transcription.delta', { item_id: itemId, content_index: 0, delta: transcript });
        this.emit('conversation.item.input_audio_transcription.completed', {
          item_id: itemId,
          content_index: 0,
          transcript,
          usage: { type: 'duration', seconds: Math.ceil(spokenMs / 1000) },
        });
      }),
    );
  }

  private clearInput(): void {
    this.buffered = [];
    this.bufferedSamples = 0;
    this.pendingUserItemId = undefined;
    this.vad.resetSpeech();
    this.emit('input_audio_buffer.cleared', {});
  }

  /** A created item makes the next response about it: the typed message, or the tool's output. */
  private itemCreated(turn: ItemTurn | undefined): void {
    if (turn?.userText !== undefined) this.lastTurn = { spokenMs: 0, userText: turn.userText };
    if (turn?.toolOutput !== undefined) this.lastTurn = { ...this.lastTurn, toolOutput: turn.toolOutput };
  }

  private createResponse(overrides: unknown, fail: (error: RealtimeError) => void): void {
    const response = (overrides ?? {}) as Record<string, unknown>;
    const outOfBand = response.conversation === 'none';
    if (this.active && !outOfBand) {
      return fail(
        invalidRequest(
          'conversation_already_has_active_response',
          `Conversation already has an active response in progress: ${this.active.id}. Wait until the response is finished before creating a new one.`,
        ),
      );
    }
    this.startResponse(response);
  }

  private startResponse(overrides: Record<string, unknown>): void {
    const writesToConversation = overrides.conversation !== 'none';
    const modalities = (overrides.output_modalities ?? overrides.modalities) as string[] | undefined;
    const tools = ((overrides.tools ?? this.session.tools) as { type?: string; name?: string }[])
      .filter((tool): tool is FunctionTool => tool.type === 'function' && typeof tool.name === 'string');
    const turn = this.lastTurn;
    const toolCall = this.options.toolTrigger?.(turn, tools, overrides.tool_choice ?? this.session.toolChoice);
    // A tool output is consumed by the response that speaks about it.
    if (turn.toolOutput !== undefined && !toolCall) this.lastTurn = { ...turn, toolOutput: undefined };
    const run = new ResponseRun({
      id: this.options.ids('resp'),
      dialect: this.dialect,
      session: this.session,
      conversation: this.conversation,
      conversationId: writesToConversation ? 'conv_sim' : null,
      audio: modalities ? modalities.includes('audio') : this.session.outputModalities.includes('audio'),
      text: this.options.replyText(turn),
      toolCall,
      voice: this.options.voice,
      clock: this.options.clock,
      ids: this.options.ids,
      realtimeFactor: this.options.realtimeFactor,
      deltaMs: this.options.deltaMs,
      emit: (gaName, fields) => this.emit(gaName, fields),
      onAudioSent: () => (this.assistantAudioSent = true),
      onFinished: (finished) => {
        if (this.active === finished) this.active = undefined;
      },
      log: this.options.log,
    });
    if (writesToConversation) this.active = run;
    this.timingOf.set(run.id, this.turnEnd ?? { trigger: 'request', inputEndUs: this.options.clock.monotonicUs() });
    this.turnEnd = undefined;
    run.start();
  }
}
