import type { Bus, Logger } from '@voxbus/shared';
import type { AssistantAudio } from './assistant-audio.js';
import type { ToolCalls } from './tool-calls.js';
import type { TranscriptPacer } from './transcript-pacer.js';

/**
 * The server events the gateway acts on, as the official schemas define them (GA names; beta
 * events arrive renamed, see FROM_BETA). Every event is validated against its dialect's schema
 * before it gets here, so the fields the schema requires are present and of their type.
 */
export interface SessionCreated { readonly session: { readonly id?: string } }
export interface SpeechStarted { readonly item_id: string; readonly audio_start_ms: number }
export interface SpeechStopped { readonly item_id: string; readonly audio_end_ms: number }
export interface InputTranscript { readonly item_id: string; readonly delta?: string; readonly transcript?: string }
export interface OutputTranscript { readonly item_id: string; readonly response_id: string; readonly delta?: string; readonly transcript?: string }
export interface ResponseCreated { readonly response: { readonly id?: string; readonly conversation_id?: string | null } }
export interface OutputAudio { readonly item_id: string; readonly response_id: string; readonly delta?: string }
export interface OutputItem { readonly item: { readonly id?: string; readonly type?: string; readonly name?: string } }
export interface FunctionCallDone {
  readonly item_id: string;
  readonly response_id: string;
  readonly call_id: string;
  /** GA names the function here; beta only in the item (response.output_item.added). */
  readonly name?: string;
  readonly arguments: string;
}
export type ResponseStatus = 'completed' | 'cancelled' | 'failed' | 'incomplete';
export interface ResponseDone {
  readonly response: { readonly id?: string; readonly status?: ResponseStatus; readonly status_details?: { readonly reason?: string } | null };
}
export interface ServerError {
  readonly error: { readonly type: string; readonly code?: string | null; readonly message: string; readonly param?: string | null; readonly event_id?: string | null };
}

/** What the handlers act on: the link's stateful parts, and the bus for what is only published. */
export interface ServerEventTarget {
  readonly bus: Bus;
  readonly log: Logger;
  readonly audio: AssistantAudio;
  readonly tools: ToolCalls;
  /** Where transcripts go: deltas paced, finals at once. */
  readonly transcripts: TranscriptPacer;
  sessionCreated(sessionId: string | null): void;
  /** The user began or stopped speaking (server VAD). */
  userSpeech(speaking: boolean): void;
  /** A final transcript: what was said, for the conversation's memory. */
  finalText(speaker: 'user' | 'assistant', text: string): void;
  responseCreated(responseId: string, inConversation: boolean): void;
  responseDone(responseId: string, status: ResponseStatus, reason: string | null): void;
  /** The service refused the client event that carried `eventId`. */
  clientEventRefused(eventId: string, reason: string): void;
}

/** Errors that retrying cannot fix (livekit's list; docs/realtime.md §4). */
const FATAL_CODES = new Set(['invalid_api_key', 'insufficient_quota', 'account_deactivated', 'billing_hard_limit_reached']);

type Handler = (target: ServerEventTarget, event: never) => void;

/** Beta (Azure preview, Voice Live) event names, as their GA names: the link speaks GA inside. */
export const FROM_BETA: Readonly<Record<string, string>> = {
  'conversation.item.created': 'conversation.item.added',
  'response.audio.delta': 'response.output_audio.delta',
  'response.audio.done': 'response.output_audio.done',
  'response.audio_transcript.delta': 'response.output_audio_transcript.delta',
  'response.audio_transcript.done': 'response.output_audio_transcript.done',
  'response.text.delta': 'response.output_text.delta',
  'response.text.done': 'response.output_text.done',
};

const vad = (kind: 'speech_started' | 'speech_stopped') => (target: ServerEventTarget, event: SpeechStarted & SpeechStopped) => {
  if (kind === 'speech_stopped') target.audio.turnEnded();
  target.userSpeech(kind === 'speech_started');
  target.bus.publish('realtime-gateway.event.vad', {}, { kind, itemId: event.item_id, audioMs: kind === 'speech_started' ? event.audio_start_ms : event.audio_end_ms });
};
const userTranscript = (kind: 'delta' | 'final') => (target: ServerEventTarget, event: InputTranscript) => {
  const text = (kind === 'final' ? event.transcript : event.delta) ?? '';
  if (kind === 'final') target.finalText('user', text);
  target.transcripts[kind]({ role: 'user', kind, itemId: event.item_id, responseId: null, text });
};
const assistantTranscript = (kind: 'delta' | 'final') => (target: ServerEventTarget, event: OutputTranscript) => {
  const text = (kind === 'final' ? event.transcript : event.delta) ?? '';
  if (kind === 'final') target.finalText('assistant', text);
  target.transcripts[kind]({ role: 'assistant', kind, itemId: event.item_id, responseId: event.response_id || null, text });
};

function serverError(target: ServerEventTarget, { error }: ServerError): void {
  const code = error.code ?? null;
  // Cancelling a response that just ended is a race every barge-in can lose: not worth a warning.
  target.log[code === 'response_cancel_not_active' ? 'debug' : 'warn']({ code, message: error.message, param: error.param }, 'error from the realtime service');
  target.bus.publish('realtime-gateway.event.error', {}, {
    type: error.type, code, message: error.message, param: error.param ?? null, fatal: code !== null && FATAL_CODES.has(code),
  });
  if (error.event_id) target.clientEventRefused(error.event_id, error.message);
}

/**
 * One small handler per server event type the gateway acts on (as Aedes keeps one per packet
 * type). Events without a topic of their own are mirrored raw on the bus by the link; the
 * handled ones say here whether they are mirrored too.
 */
export const SERVER_EVENT_HANDLERS: Readonly<Record<string, { readonly handle: Handler; readonly mirrored: boolean }>> = {
  'session.created': { mirrored: true, handle: (target, event: SessionCreated) => target.sessionCreated(event.session.id || null) },
  'input_audio_buffer.speech_started': { mirrored: false, handle: vad('speech_started') },
  'input_audio_buffer.speech_stopped': { mirrored: false, handle: vad('speech_stopped') },
  'conversation.item.input_audio_transcription.delta': { mirrored: false, handle: userTranscript('delta') },
  'conversation.item.input_audio_transcription.completed': { mirrored: false, handle: userTranscript('final') },
  'response.output_audio_transcript.delta': { mirrored: false, handle: assistantTranscript('delta') },
  'response.output_audio_transcript.done': { mirrored: false, handle: assistantTranscript('final') },
  'response.created': {
    mirrored: false,
    // A response outside the conversation (conversation_id null) does not hold the turn.
    handle: (target, event: ResponseCreated) => target.responseCreated(event.response.id ?? '', event.response.conversation_id !== null),
  },
  'response.output_item.added': {
    mirrored: true,
    handle: (target, { item }: OutputItem) => {
      if (item.type === 'function_call' && item.id && item.name) target.tools.named(item.id, item.name);
    },
  },
  'response.output_audio.delta': { mirrored: false, handle: (target, event: OutputAudio) => target.audio.delta(event.response_id, event.item_id, event.delta ?? '') },
  'response.output_audio.done': { mirrored: false, handle: (target, event: OutputAudio) => target.audio.done(event.item_id) },
  'response.function_call_arguments.done': { mirrored: true, handle: (target, event: FunctionCallDone) => target.tools.called(event) },
  'response.done': {
    mirrored: false,
    handle: (target, event: ResponseDone) =>
      target.responseDone(event.response.id ?? '', event.response.status ?? 'completed', event.response.status_details?.reason ?? null),
  },
  error: { mirrored: false, handle: serverError },
};
