import type { Clock, Logger, RealtimeDialect, TimerHandle } from '@voxbus/shared';
import { assistantAudioContent, type Conversation, type ConversationItem, renderItem } from './conversation.js';
import { SAMPLES_PER_MS } from './energy-vad.js';
import { assistantContentType } from './events.js';
import type { IdSource } from './ids.js';
import type { SessionState } from './session-state.js';
import type { Voice } from './voice.js';

export interface ResponseRunOptions {
  readonly id: string;
  readonly dialect: RealtimeDialect;
  readonly session: SessionState;
  readonly conversation: Conversation;
  /** `conv_…` when the response writes to the default conversation, null when out-of-band. */
  readonly conversationId: string | null;
  /** Speak (audio + transcript), or text only. */
  readonly audio: boolean;
  readonly text: string;
  /** When set, the response calls this function instead of speaking. */
  readonly toolCall?: { readonly name: string; readonly arguments: string } | undefined;
  readonly voice: Voice;
  readonly clock: Clock;
  readonly ids: IdSource;
  readonly realtimeFactor: number;
  readonly deltaMs: number;
  readonly emit: (gaName: string, fields: Record<string, unknown>) => void;
  readonly onAudioSent: () => void;
  readonly onFinished: (run: ResponseRun) => void;
  readonly log: Logger;
}

type Status = 'completed' | 'cancelled' | 'failed';

/**
 * One response, streamed in the order a real GA capture shows (§3.4): created, output item and
 * conversation item added, content part added, transcript and audio deltas interleaved (faster
 * than real time), then the `.done` events, rate limits, `response.done`. A cancel still sends
 * the `.done` events, with what was sent so far.
 */
export class ResponseRun {
  readonly id: string;
  private item: ConversationItem | undefined;
  /** The item before this response's item when it was added: `conversation.item.done` repeats what `added` said. */
  private previousItemId: string | null = null;
  private pcm: Int16Array = new Int16Array(0);
  private sentSamples = 0;
  private readonly words: string[];
  private sentWords = 0;
  private timer: TimerHandle | undefined;
  private finished = false;

  constructor(private readonly o: ResponseRunOptions) {
    this.id = o.id;
    this.words = o.text.split(/\s+/).filter(Boolean);
  }

  get writesToConversation(): boolean {
    return this.o.conversationId !== null;
  }

  start(): void {
    this.o.emit('response.created', { response: this.render('in_progress', null, []) });
    if (this.o.toolCall) {
      this.callTool(this.o.toolCall);
      return;
    }
    if (!this.o.audio) {
      this.begin();
      return;
    }
    this.o.voice.synthesize(this.o.text).then(
      (pcm) => {
        this.pcm = pcm;
        this.begin();
      },
      (error: unknown) => {
        this.o.log.error({ err: (error as Error).message }, 'speech synthesis failed');
        this.finish('failed', { type: 'failed', error: { type: 'server_error', code: 'server_error' } });
      },
    );
  }

  /** Ends the response early: `turn_detected` (server VAD) or `client_cancelled`. */
  cancel(reason: 'turn_detected' | 'client_cancelled'): void {
    this.finish('cancelled', { type: 'cancelled', reason });
  }

  /** The socket went away: stop without sending anything. */
  stop(): void {
    this.finished = true;
    this.timer?.cancel();
  }

  /**
   * A function call (docs/realtime.md §5): the item, its arguments streamed as deltas, then
   * the `.done` events and `response.done` with the call in `output`. The model waits for a
   * `function_call_output` and a `response.create`.
   */
  private callTool(call: { readonly name: string; readonly arguments: string }): void {
    const item: ConversationItem = {
      id: this.o.ids('item'),
      type: 'function_call',
      status: 'in_progress',
      content: [],
      callId: this.o.ids('call'),
      name: call.name,
      arguments: '',
    };
    this.item = item;
    const previous = this.writesToConversation ? this.o.conversation.add(item) : { previousItemId: null };
    const previousItemId = 'previousItemId' in previous ? previous.previousItemId : null;
    this.o.emit('response.output_item.added', { response_id: this.id, output_index: 0, item: renderItem(item, this.o.dialect) });
    if (this.writesToConversation) this.o.emit('conversation.item.added', { previous_item_id: previousItemId, item: renderItem(item, this.o.dialect) });
    const where = { response_id: this.id, item_id: item.id, output_index: 0, call_id: item.callId };
    const half = Math.ceil(call.arguments.length / 2);
    for (const delta of [call.arguments.slice(0, half), call.arguments.slice(half)].filter(Boolean)) {
      this.o.emit('response.function_call_arguments.delta', { ...where, delta });
    }
    item.arguments = call.arguments;
    item.status = 'completed';
    this.o.emit('response.function_call_arguments.done', { ...where, name: call.name, arguments: call.arguments });
    this.o.emit('response.output_item.done', { response_id: this.id, output_index: 0, item: renderItem(item, this.o.dialect) });
    if (this.writesToConversation) this.o.emit('conversation.item.done', { previous_item_id: previousItemId, item: renderItem(item, this.o.dialect) });
    this.finished = true;
    this.o.onFinished(this);
    this.o.emit('response.done', { response: this.render('completed', null, [renderItem(item, this.o.dialect)]) });
  }

  private get contentKind(): 'audio' | 'text' {
    return this.o.audio ? 'audio' : 'text';
  }

  private begin(): void {
    if (this.finished) return;
    const item: ConversationItem = { id: this.o.ids('item'), type: 'message', role: 'assistant', status: 'in_progress', content: [] };
    this.item = item;
    if (this.o.audio) item.audioSamples = 0;
    const previous = this.writesToConversation ? this.o.conversation.add(item) : { previousItemId: null };
    const previousItemId = 'previousItemId' in previous ? previous.previousItemId : null;
    this.previousItemId = previousItemId;
    this.o.emit('response.output_item.added', { response_id: this.id, output_index: 0, item: renderItem(item, this.o.dialect) });
    if (this.writesToConversation) this.o.emit('conversation.item.added', { previous_item_id: previousItemId, item: renderItem(item, this.o.dialect) });
    this.o.emit('response.content_part.added', {
      ...this.where(),
      part: this.o.audio ? { type: 'audio', transcript: '' } : { type: 'text', text: '' },
    });
    this.tick();
  }

  private where(): Record<string, unknown> {
    return { response_id: this.id, item_id: this.item?.id, output_index: 0, content_index: 0 };
  }

  private textSoFar(): string {
    return this.words.slice(0, this.sentWords).join(' ');
  }

  /** Sends one delta's worth of audio and its share of the words, then schedules the next. */
  private tick(): void {
    if (this.finished) return;
    const chunkSamples = this.o.deltaMs * SAMPLES_PER_MS;
    const totalChunks = this.o.audio ? Math.max(1, Math.ceil(this.pcm.length / chunkSamples)) : this.words.length || 1;
    const chunkIndex = this.o.audio ? Math.ceil(this.sentSamples / chunkSamples) : this.sentWords;
    const wordsDue = Math.ceil(((chunkIndex + 1) / totalChunks) * this.words.length);
    if (wordsDue > this.sentWords) {
      const delta = (this.sentWords > 0 ? ' ' : '') + this.words.slice(this.sentWords, wordsDue).join(' ');
      this.sentWords = wordsDue;
      this.o.emit(this.o.audio ? 'response.output_audio_transcript.delta' : 'response.output_text.delta', { ...this.where(), delta });
    }
    if (this.o.audio && this.sentSamples < this.pcm.length) {
      const chunk = this.pcm.subarray(this.sentSamples, this.sentSamples + chunkSamples);
      this.sentSamples += chunk.length;
      const item = this.item as ConversationItem;
      item.audioSamples = this.sentSamples;
      // A view of the reply's audio (it is not changed once made): copying the prefix at every
      // delta cost the sim time quadratic in the reply's length.
      item.audio = this.pcm.subarray(0, this.sentSamples);
      if (this.writesToConversation) this.o.conversation.holdsAudio(item);
      this.o.onAudioSent();
      this.o.emit('response.output_audio.delta', { ...this.where(), delta: Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength).toString('base64') });
    }
    const done = this.o.audio ? this.sentSamples >= this.pcm.length && this.sentWords >= this.words.length : this.sentWords >= this.words.length;
    if (done) {
      this.finish('completed', null);
      return;
    }
    this.timer = this.o.clock.setTimer('response-delta', this.o.deltaMs / this.o.realtimeFactor, () => this.tick());
  }

  private finish(status: Status, details: Record<string, unknown> | null): void {
    if (this.finished) return;
    this.finished = true;
    this.timer?.cancel();
    const item = this.item;
    if (item) {
      const text = this.textSoFar();
      const where = this.where();
      if (this.o.audio) {
        this.o.emit('response.output_audio.done', where);
        this.o.emit('response.output_audio_transcript.done', { ...where, transcript: text });
        this.o.emit('response.content_part.done', { ...where, part: { type: 'audio', transcript: text } });
        item.content = [assistantAudioContent(text, this.o.dialect)];
      } else {
        this.o.emit('response.output_text.done', { ...where, text });
        this.o.emit('response.content_part.done', { ...where, part: { type: 'text', text } });
        item.content = [{ type: assistantContentType('text', this.o.dialect), text }];
      }
      item.status = status === 'completed' ? 'completed' : 'incomplete';
      this.o.emit('response.output_item.done', { response_id: this.id, output_index: 0, item: renderItem(item, this.o.dialect) });
      if (this.writesToConversation) this.o.emit('conversation.item.done', { previous_item_id: this.previousItemId, item: renderItem(item, this.o.dialect) });
    }
    this.o.emit('rate_limits.updated', { rate_limits: [{ name: 'tokens', limit: 40000, remaining: 39000, reset_seconds: 1.5 }] });
    // Finished before it says so: a client answering `response.done` with `response.create` at
    // once must not collide with this response.
    this.o.onFinished(this);
    this.o.emit('response.done', { response: this.render(status, details, item ? [renderItem(item, this.o.dialect)] : []) });
  }

  private usage(): Record<string, unknown> {
    const audioTokens = Math.ceil(this.sentSamples / SAMPLES_PER_MS / 50);
    const textTokens = this.sentWords;
    return {
      total_tokens: 100 + audioTokens + textTokens,
      input_tokens: 100,
      output_tokens: audioTokens + textTokens,
      input_token_details: { text_tokens: 100, audio_tokens: 0, cached_tokens: 0, cached_tokens_details: { text_tokens: 0, audio_tokens: 0 } },
      output_token_details: { text_tokens: textTokens, audio_tokens: audioTokens },
    };
  }

  private render(status: string, details: Record<string, unknown> | null, output: Record<string, unknown>[]): Record<string, unknown> {
    // `status_details` and `usage` are left out rather than null while they do not apply: the
    // official schema has no null for them.
    const common = {
      id: this.id,
      object: 'realtime.response',
      status,
      ...(details ? { status_details: details } : {}),
      output,
      conversation_id: this.o.conversationId,
      max_output_tokens: this.o.session.maxOutputTokens,
      ...(status === 'in_progress' ? {} : { usage: this.usage() }),
      metadata: null,
    };
    if (this.o.dialect === 'ga') {
      return {
        ...common,
        output_modalities: [this.contentKind],
        audio: { output: { format: { type: 'audio/pcm', rate: 24000 }, voice: this.o.session.voice } },
      };
    }
    return {
      ...common,
      modalities: this.o.audio ? ['text', 'audio'] : ['text'],
      voice: this.o.session.voice,
      output_audio_format: 'pcm16',
      temperature: this.o.session.temperature,
    };
  }
}
