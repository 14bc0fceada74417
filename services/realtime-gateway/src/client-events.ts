import { type Logger, type MetricsRegistry, RateLimitedLog, type RealtimeDialect } from '@voxbus/shared';
import { prepareRealtimeValidators, realtimeEventErrors } from '@voxbus/shared/realtime';

type Json = Record<string, unknown>;

/** Client events out: each checked against the dialect's official schema, then written to the socket. */
export class ClientEvents {
  private readonly counters;
  /** Commands cause these lines, and any client may send commands: one line per kind per 10 s (the counters have every one). */
  private readonly problems: RateLimitedLog;

  constructor(
    private readonly dialect: RealtimeDialect,
    /** Writes one client event to the socket; false when there is no socket. */
    private readonly write: (text: string) => boolean,
    log: Logger,
    metrics: MetricsRegistry,
    /** The clock the log's rate limit runs on, ms. */
    nowMs?: () => number,
  ) {
    prepareRealtimeValidators(dialect);
    this.problems = new RateLimitedLog(log, 10_000, nowMs);
    this.counters = { sent: metrics.counter('events.sent'), bytes: metrics.counter('bytes.sent'), refused: metrics.counter('events.refusedBySchema'), notConnected: metrics.counter('events.notSentOffline') };
  }

  /** Validates and sends; false (logged, counted) when the schema refuses it or nothing is connected. */
  send(event: Json): boolean {
    const errors = this.errors(event);
    if (errors) {
      this.counters.refused.inc();
      this.problems.error('refused by schema', { type: event.type, err: errors }, 'client event refused: it breaks the official schema');
      return false;
    }
    const text = JSON.stringify(event);
    if (!this.write(text)) {
      this.counters.notConnected.inc();
      this.problems.warn('not connected', { type: event.type }, 'not connected: client event not sent');
      return false;
    }
    this.counters.sent.inc();
    this.counters.bytes.inc(text.length);
    return true;
  }

  /** What is wrong with the event in this dialect, or undefined. */
  errors(event: Json): string | undefined {
    return realtimeEventErrors(this.dialect, 'client', event);
  }
}
