import type { RealtimeDialect } from '@voxbus/shared';
import { assistantContentType } from './events.js';

/** An item in the simulated conversation, with the assistant audio actually streamed. */
export interface ConversationItem {
  readonly id: string;
  readonly type: 'message' | 'function_call' | 'function_call_output';
  readonly role?: 'user' | 'assistant' | 'system';
  status: 'in_progress' | 'completed' | 'incomplete';
  /** Message content as the client sees it (no audio bytes). */
  content: Record<string, unknown>[];
  /** PCM16 24 kHz of assistant audio sent so far (for truncate and retrieve). */
  audio?: Int16Array;
  callId?: string;
  name?: string;
  arguments?: string;
  output?: string;
}

/** The item as events carry it (audio never included). */
export function renderItem(item: ConversationItem, dialect: RealtimeDialect): Record<string, unknown> {
  const base: Record<string, unknown> = { id: item.id, object: 'realtime.item', type: item.type, status: item.status };
  if (item.type === 'message') return { ...base, role: item.role, content: item.content };
  if (item.type === 'function_call') return { ...base, call_id: item.callId, name: item.name, arguments: item.arguments ?? '' };
  void dialect;
  return { ...base, call_id: item.callId, output: item.output ?? '' };
}

export function assistantAudioContent(transcript: string, dialect: RealtimeDialect): Record<string, unknown> {
  return { type: assistantContentType('audio', dialect), transcript };
}

/** The ordered item list; `previous_item_id` chains through it. */
export class Conversation {
  private readonly items: ConversationItem[] = [];

  get last(): ConversationItem | undefined {
    return this.items[this.items.length - 1];
  }

  find(id: string): ConversationItem | undefined {
    return this.items.find((item) => item.id === id);
  }

  /** Adds `item` after `previousId` (`"root"` = first; undefined = at the end); returns the id before it. */
  add(item: ConversationItem, previousId?: string): { previousItemId: string | null } | { unknownPrevious: string } {
    if (previousId === undefined) {
      const previous = this.last?.id ?? null;
      this.items.push(item);
      return { previousItemId: previous };
    }
    if (previousId === 'root') {
      this.items.unshift(item);
      return { previousItemId: null };
    }
    const index = this.items.findIndex((existing) => existing.id === previousId);
    if (index < 0) return { unknownPrevious: previousId };
    this.items.splice(index + 1, 0, item);
    return { previousItemId: previousId };
  }

  delete(id: string): boolean {
    const index = this.items.findIndex((item) => item.id === id);
    if (index < 0) return false;
    this.items.splice(index, 1);
    return true;
  }

  hasFunctionCall(callId: string): boolean {
    return this.items.some((item) => item.type === 'function_call' && item.callId === callId);
  }
}
