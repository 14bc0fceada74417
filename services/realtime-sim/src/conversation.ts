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
  /** Samples (PCM16 24 kHz) of assistant audio sent so far: what truncate checks against. */
  audioSamples?: number;
  /** Those samples themselves, for retrieve: kept for the last RETAINED_AUDIO_ITEMS replies only. */
  audio?: Int16Array | undefined;
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

/**
 * Replies whose audio bytes the sim keeps for `conversation.item.retrieve`. Keeping every one
 * grew the sim 2.1 MB a minute in conversation, and the run command uses it whenever no key is
 * set; older replies keep their length (truncate still works) and are retrieved without audio.
 */
export const RETAINED_AUDIO_ITEMS = 4;

/** The ordered item list; `previous_item_id` chains through it. */
export class Conversation {
  private readonly items: ConversationItem[] = [];
  /** Assistant items holding audio bytes, oldest first. */
  private readonly withAudio: ConversationItem[] = [];

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

  /** `item` now holds audio bytes: the oldest reply beyond RETAINED_AUDIO_ITEMS lets go of its own. */
  holdsAudio(item: ConversationItem): void {
    if (this.withAudio.includes(item)) return;
    this.withAudio.push(item);
    while (this.withAudio.length > RETAINED_AUDIO_ITEMS) (this.withAudio.shift() as ConversationItem).audio = undefined;
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
