import type { AudioFrame, Bus, Clock, Logger, MetricsRegistry } from '@voxbus/shared';
import { ItemAudio, MODEL_RATE_HZ } from './audio-out.js';

/** Assistant items whose audio is remembered, for truncation (only ever of recent items). */
const ITEMS_KEPT = 64;

export interface AssistantAudioOptions {
  readonly bus: Bus;
  readonly clock: Clock;
  readonly log: Logger;
  readonly metrics: MetricsRegistry;
  readonly frameMs: number;
}

/**
 * The model's speech of one session: deltas re-cut into tagged frames on `audio.output`, what
 * was received per item (a truncate never claims more), each response's first audio announced,
 * and the time from the end of the user's turn to it.
 */
export class AssistantAudio {
  private readonly items = new Map<string, ItemAudio>();
  private readonly firstAudioSent = new Set<string>();
  private outputSequence = 0;
  private turnEndedAtMs: number | undefined;
  /** End of the user's speech (or the commit) to the first audio of the reply, last turn. */
  private lastTurnLatencyMs = 0;
  private readonly counters;

  constructor(private readonly o: AssistantAudioOptions) {
    const m = o.metrics;
    this.counters = { deltas: m.counter('audio.deltasReceived'), ms: m.counter('audio.msReceived'), turns: m.counter('turns.answered') };
    m.gauge('turn.lastSpeechStoppedToFirstAudioMs', () => this.lastTurnLatencyMs);
  }

  /** The user's turn ended (speech stopped, or a commit): the reply's latency counts from now. */
  turnEnded(): void {
    this.turnEndedAtMs = this.o.clock.nowMs();
  }

  delta(responseId: string, itemId: string, base64: string): void {
    let item = this.items.get(itemId);
    if (!item) {
      item = new ItemAudio(responseId, itemId, this.o.frameMs);
      this.items.set(itemId, item);
      if (this.items.size > ITEMS_KEPT) this.items.delete(this.items.keys().next().value as string);
    }
    const pcm = Buffer.from(base64, 'base64');
    this.counters.deltas.inc();
    this.counters.ms.inc(Math.round(pcm.length / 48));
    const target = item;
    for (const frame of target.push(pcm, (offset, bytes) => this.frame(target, offset, bytes))) this.o.bus.publish('audio.output', {}, frame);
    if (!this.firstAudioSent.has(responseId)) this.firstAudio(responseId);
  }

  /** The item's audio is complete: its last (possibly short) frame goes out. */
  done(itemId: string): void {
    const item = this.items.get(itemId);
    if (item) for (const frame of item.flush((offset, pcm) => this.frame(item, offset, pcm))) this.o.bus.publish('audio.output', {}, frame);
  }

  /** Audio received for an item of this session, in ms; undefined for an item it does not know. */
  receivedMs(itemId: string): number | undefined {
    return this.items.get(itemId)?.receivedMs;
  }

  /** The response is over: the audio it carried, in ms. */
  responseDone(responseId: string): number {
    this.firstAudioSent.delete(responseId);
    return Math.round([...this.items.values()].filter((item) => item.responseId === responseId).reduce((sum, item) => sum + item.receivedMs, 0));
  }

  /** A new session: none of the old one's items exist in it. */
  clear(): void {
    this.items.clear();
    this.firstAudioSent.clear();
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

  private firstAudio(responseId: string): void {
    this.firstAudioSent.add(responseId);
    const latencyMs = this.turnEndedAtMs === undefined ? undefined : this.o.clock.nowMs() - this.turnEndedAtMs;
    if (latencyMs !== undefined) {
      this.lastTurnLatencyMs = latencyMs;
      this.turnEndedAtMs = undefined;
    }
    this.counters.turns.inc();
    this.o.log.info({ responseId, speechStoppedToFirstAudioMs: latencyMs }, 'first audio of the turn');
    this.o.bus.publish('realtime-gateway.event.response', {}, { kind: 'first_audio', responseId, status: 'in_progress', reason: null, audioMs: 0 });
  }
}
