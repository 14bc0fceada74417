import type { RealtimeDialect } from '@voxbus/shared';

export type Speaker = 'user' | 'assistant' | 'system';

/** The most recent turns carried into a new session: enough for context, little to resend. */
const KEPT_ITEMS = 20;
const KEPT_CHARS = 8000;

/**
 * The conversation as text, for a new session to continue it: a session ends at the service's
 * 60-minute cap (or a dropped link) and the next one knows nothing of it. The protocol lets a
 * client add items to a conversation but not audio of the assistant's, so what is replayed is
 * what was said as text: the transcripts (the user's need input transcription on), typed and
 * system messages.
 */
export class ConversationMemory {
  private items: { readonly speaker: Speaker; readonly text: string }[] = [];

  remember(speaker: Speaker, text: string): void {
    const trimmed = text.trim();
    if (!trimmed) return;
    this.items.push({ speaker, text: trimmed });
    while (this.items.length > KEPT_ITEMS || (this.items.length > 1 && this.chars() > KEPT_CHARS)) this.items.shift();
  }

  /** A new conversation: nothing carries over. */
  forget(): void {
    this.items = [];
  }

  get size(): number {
    return this.items.length;
  }

  /** `conversation.item.create` events that replay the conversation, in the dialect's item shape. */
  replay(dialect: RealtimeDialect): Record<string, unknown>[] {
    // The assistant's own text is `output_text` in GA items and `text` in beta ones.
    const assistantText = dialect === 'ga' ? 'output_text' : 'text';
    return this.items.map(({ speaker, text }) => ({
      type: 'conversation.item.create',
      item: {
        type: 'message',
        role: speaker,
        content: [speaker === 'assistant' ? { type: assistantText, text } : { type: 'input_text', text }],
      },
    }));
  }

  private chars(): number {
    return this.items.reduce((sum, item) => sum + item.text.length, 0);
  }
}
