import type { RealtimeDialect } from '@voxbus/shared';
import { type Conversation, type ConversationItem, renderItem } from './conversation.js';
import { SAMPLES_PER_MS } from './energy-vad.js';
import { invalidRequest, type RealtimeError } from './errors.js';
import type { IdSource } from './ids.js';

/** What a created item makes the next response about. */
export interface ItemTurn {
  readonly userText?: string;
  readonly toolOutput?: string;
}

export interface ItemCommandsOptions {
  readonly conversation: Conversation;
  readonly dialect: RealtimeDialect;
  readonly ids: IdSource;
  readonly emit: (gaName: string, fields: Record<string, unknown>) => void;
}

/** Reports the error, and returns nothing: `return failed(fail, …)` ends a command on its error. */
function failed(fail: (error: RealtimeError) => void, error: RealtimeError): undefined {
  fail(error);
  return undefined;
}

/**
 * The client's commands on conversation items, with the real service's checks and error
 * messages: create (messages and function call outputs), truncate (assistant audio only, to
 * what exists), retrieve, delete.
 */
export class ItemCommands {
  constructor(private readonly o: ItemCommandsOptions) {}

  /** conversation.item.create; returns what the next response is about (a typed message, a tool's output). */
  create(raw: unknown, previousId: unknown, fail: (error: RealtimeError) => void): ItemTurn | undefined {
    if (raw === null || typeof raw !== 'object') return failed(fail, invalidRequest('missing_required_parameter', "Missing required parameter: 'item'.", 'item'));
    const source = raw as Record<string, unknown>;
    const id = typeof source.id === 'string' ? source.id : this.o.ids('item');
    let item: ConversationItem;
    let turn: ItemTurn | undefined;
    if (source.type === 'message') {
      const role = source.role;
      if (role !== 'user' && role !== 'system' && role !== 'assistant') {
        return failed(fail, invalidRequest('invalid_value', `Invalid value: '${String(role)}'. Supported values are: 'user', 'assistant', and 'system'.`, 'item.role'));
      }
      const content = Array.isArray(source.content) ? (source.content as Record<string, unknown>[]) : [];
      if (role === 'assistant' && content.some((part) => part.type === 'audio' || part.type === 'output_audio')) {
        return failed(fail, invalidRequest('invalid_value', 'Assistant audio content cannot be created.', 'item.content'));
      }
      item = { id, type: 'message', role, status: 'completed', content };
      if (role === 'user') {
        const text = content.map((part) => (typeof part.text === 'string' ? part.text : '')).join(' ').trim();
        turn = { userText: text };
      }
    } else if (source.type === 'function_call_output') {
      const callId = String(source.call_id ?? '');
      if (!this.o.conversation.hasFunctionCall(callId)) {
        return failed(fail, invalidRequest('invalid_value', `No tool call found for function call output with call_id ${callId}.`, 'item.call_id'));
      }
      const output = String(source.output ?? '');
      item = { id, type: 'function_call_output', status: 'completed', content: [], callId, output };
      // The next response.create speaks about the result.
      turn = { toolOutput: output };
    } else {
      return failed(fail, invalidRequest('invalid_value', `Invalid value: '${String(source.type)}'. Supported values are: 'message' and 'function_call_output'.`, 'item.type'));
    }
    const added = this.o.conversation.add(item, typeof previousId === 'string' ? previousId : undefined);
    if ('unknownPrevious' in added) {
      return failed(fail, invalidRequest('invalid_value', `Previous item with id '${added.unknownPrevious}' not found.`, 'previous_item_id'));
    }
    this.o.emit('conversation.item.added', { previous_item_id: added.previousItemId, item: renderItem(item, this.o.dialect) });
    this.o.emit('conversation.item.done', { previous_item_id: added.previousItemId, item: renderItem(item, this.o.dialect) });
    return turn;
  }

  truncate(event: Record<string, unknown>, fail: (error: RealtimeError) => void): void {
    const item = typeof event.item_id === 'string' ? this.o.conversation.find(event.item_id) : undefined;
    if (!item) return fail(invalidRequest('invalid_value', `Item with item_id '${String(event.item_id)}' not found.`, 'item_id'));
    const end = event.audio_end_ms;
    if (typeof end !== 'number' || !Number.isInteger(end)) {
      return fail(invalidRequest('invalid_type', "Invalid type for 'audio_end_ms': expected an integer.", 'audio_end_ms'));
    }
    if (end < 0) {
      return fail(
        invalidRequest('integer_below_min_value', `Invalid 'audio_end_ms': integer below minimum value. Expected a value >= 0, but got ${end} instead.`, 'audio_end_ms'),
      );
    }
    if (item.role !== 'assistant' || !item.audioSamples) {
      return fail(invalidRequest('unsupported_content_type', 'Only model output audio messages can be truncated', null));
    }
    const audioMs = Math.floor(item.audioSamples / SAMPLES_PER_MS);
    if (end > audioMs) return fail(invalidRequest('invalid_value', `Audio content of ${audioMs}ms is already shorter than ${end}ms`, 'audio_end_ms'));
    item.audioSamples = end * SAMPLES_PER_MS;
    item.audio = item.audio?.subarray(0, end * SAMPLES_PER_MS);
    // The model cannot align text to audio: truncation drops the transcript.
    item.content = item.content.map((part) => ('transcript' in part ? { ...part, transcript: '' } : part));
    this.o.emit('conversation.item.truncated', { item_id: item.id, content_index: typeof event.content_index === 'number' ? event.content_index : 0, audio_end_ms: end });
  }

  retrieve(itemId: unknown, fail: (error: RealtimeError) => void): void {
    const item = typeof itemId === 'string' ? this.o.conversation.find(itemId) : undefined;
    if (!item) return fail(invalidRequest('invalid_value', `Item with item_id '${String(itemId)}' not found.`, 'item_id'));
    const rendered = renderItem(item, this.o.dialect);
    if (item.audio) {
      const audio = Buffer.from(item.audio.buffer, item.audio.byteOffset, item.audio.byteLength).toString('base64');
      rendered.content = item.content.map((part) => ('transcript' in part ? { ...part, audio } : part));
    }
    this.o.emit('conversation.item.retrieved', { item: rendered });
  }

  delete(itemId: unknown, fail: (error: RealtimeError) => void): void {
    if (typeof itemId !== 'string' || !this.o.conversation.delete(itemId)) {
      return fail(invalidRequest('invalid_value', `Item with item_id '${String(itemId)}' not found.`, 'item_id'));
    }
    this.o.emit('conversation.item.deleted', { item_id: itemId });
  }
}
