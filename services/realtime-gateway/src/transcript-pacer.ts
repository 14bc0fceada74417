import type { Clock, Payload } from '@voxbus/shared';

type Transcript = Payload<'realtime-gateway.event.transcript'>;

/** Past this many items followed at once, the quiet ones are looked for and forgotten. */
const STALE_CHECK_ITEMS = 16;
const STALE_MS = 10_000;

interface Stream {
  lastSentMs: number;
  pending: Transcript | undefined;
  timer: { cancel(): void } | undefined;
}

/**
 * Paces one item's transcript deltas: the first goes out at once, those that follow within
 * `windowMs` are joined into one delta sent when the window ends (a model streams a word at a
 * time, often faster than it speaks: each message costs every subscriber a parse, and a display
 * gains nothing from more than a few updates a second). A final flushes what is pending first, so
 * deltas and finals keep their order and nothing is lost. 0 sends every delta as it comes.
 */
export class TranscriptPacer {
  private readonly streams = new Map<string, Stream>();

  constructor(
    private readonly windowMs: number,
    private readonly clock: Clock,
    private readonly publish: (transcript: Transcript) => void,
  ) {}

  delta(transcript: Transcript): void {
    if (this.windowMs <= 0) return this.publish(transcript);
    const key = `${transcript.role} ${transcript.itemId}`;
    const nowMs = this.clock.monotonicUs() / 1000;
    let stream = this.streams.get(key);
    if (stream === undefined) {
      this.forgetStale(nowMs);
      stream = { lastSentMs: Number.NEGATIVE_INFINITY, pending: undefined, timer: undefined };
      this.streams.set(key, stream);
    }
    if (stream.pending !== undefined) {
      stream.pending = { ...stream.pending, text: stream.pending.text + transcript.text };
      return;
    }
    if (nowMs - stream.lastSentMs >= this.windowMs) {
      stream.lastSentMs = nowMs;
      return this.publish(transcript);
    }
    stream.pending = transcript;
    stream.timer = this.clock.setTimer('transcript delta', stream.lastSentMs + this.windowMs - nowMs, () => this.flush(key));
  }

  final(transcript: Transcript): void {
    const key = `${transcript.role} ${transcript.itemId}`;
    this.flush(key);
    this.streams.delete(key);
    this.publish(transcript);
  }

  /** Sends everything pending (the link closed: nothing said is held back). */
  flushAll(): void {
    for (const key of [...this.streams.keys()]) this.flush(key);
    this.streams.clear();
  }

  /** Items that never got a final (a cancelled reply) are forgotten once quiet for a while. */
  private forgetStale(nowMs: number): void {
    if (this.streams.size < STALE_CHECK_ITEMS) return;
    for (const [key, stream] of this.streams) if (stream.pending === undefined && nowMs - stream.lastSentMs > STALE_MS) this.streams.delete(key);
  }

  private flush(key: string): void {
    const stream = this.streams.get(key);
    if (stream?.pending === undefined) return;
    stream.timer?.cancel();
    stream.timer = undefined;
    const pending = stream.pending;
    stream.pending = undefined;
    stream.lastSentMs = this.clock.monotonicUs() / 1000;
    this.publish(pending);
  }
}
