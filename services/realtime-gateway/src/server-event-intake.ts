import { type Bus, type Clock, type Logger, type MetricsRegistry, type RealtimeDialect, RateLimitedLog } from '@voxbus/shared';
import { realtimeEventErrors } from '@voxbus/shared/realtime';
import { FROM_BETA, SERVER_EVENT_HANDLERS, type ServerEventTarget } from './server-events.js';
import { stripAudio } from './strip-audio.js';

type Json = Record<string, unknown>;

/**
 * Every text frame from the service: parsed, validated against the dialect's official schema
 * when the gateway acts on its type, handed to that type's handler, and mirrored raw on the bus
 * (audio stripped) when it has no topic of its own, unless its type is one the settings leave
 * out (lifecycle events, by default). Garbage and off-schema events are counted
 * and logged, never acted on, never lost silently.
 */
export class ServerEventIntake {
  private readonly offSchemaLog: RateLimitedLog;
  private readonly counters;

  constructor(
    private readonly dialect: RealtimeDialect,
    private readonly bus: Bus,
    private readonly log: Logger,
    metrics: MetricsRegistry,
    clock: Clock,
    /** Event types left unmirrored (gateway setting rawSkipped): counted, not published. */
    private readonly rawSkipped: ReadonlySet<string> = new Set(),
  ) {
    this.counters = {
      events: metrics.counter('events.received'),
      bytes: metrics.counter('bytes.received'),
      offSchema: metrics.counter('events.offSchema'),
      unparsable: metrics.counter('events.unparsable'),
      failed: metrics.counter('events.handlerFailed'),
      notMirrored: metrics.counter('events.notMirrored'),
    };
    this.offSchemaLog = new RateLimitedLog(log, 60_000, () => clock.nowMs());
  }

  receive(text: string, target: ServerEventTarget): void {
    this.counters.events.inc();
    this.counters.bytes.inc(Buffer.byteLength(text));
    const event = this.parse(text);
    if (!event) return;
    const wireType = event.type;
    const handler = SERVER_EVENT_HANDLERS[this.dialect === 'beta' ? (FROM_BETA[wireType] ?? wireType) : wireType];
    if (handler) {
      const errors = realtimeEventErrors(this.dialect, 'server', event);
      if (errors) {
        // Not acted on (its fields cannot be trusted), but not lost either: mirrored below.
        this.counters.offSchema.inc();
        this.offSchemaLog.warn(wireType, { type: wireType, err: errors }, 'server event breaks the official schema: mirrored raw, not acted on');
      } else {
        try {
          handler.handle(target, event as never);
        } catch (error) {
          this.counters.failed.inc();
          this.log.error({ type: wireType, err: (error as Error).message }, 'could not handle a realtime event');
        }
        if (!handler.mirrored) return;
      }
    }
    if (this.rawSkipped.has(wireType)) {
      this.counters.notMirrored.inc();
      return;
    }
    this.bus.publish('realtime-gateway.event.raw', { type: wireType }, stripAudio(event) as { type: string });
  }

  private parse(text: string): (Json & { type: string }) | undefined {
    try {
      const parsed: unknown = JSON.parse(text);
      if (parsed && typeof parsed === 'object' && typeof (parsed as Json).type === 'string') return parsed as Json & { type: string };
    } catch {
      // Counted and logged below.
    }
    this.counters.unparsable.inc();
    this.log.warn({ bytes: text.length }, 'unparsable event from the realtime service dropped');
    return undefined;
  }
}
