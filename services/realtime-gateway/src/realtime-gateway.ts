import type { Bus, Clock, LinkState, Logger, MetricsRegistry } from '@voxbus/shared';
import type { GatewayConfig } from './config.js';
import type { TokenSource } from './credentials.js';
import type { ResolvedEndpoint } from './endpoint.js';
import { LinkConnection } from './link-connection.js';
import type { LinkTransport, TransportEvents } from './transport.js';
import { RealtimeLink } from './realtime-link.js';
import { renderSessionUpdate, type TurnMode } from './session-render.js';
import { socketOptions } from './socket-options.js';
import { ConversationMemory } from './conversation-memory.js';
import { SessionPatch } from './session-patch.js';
import { SessionRotation } from './session-rotation.js';

export interface RealtimeGatewayOptions {
  readonly config: GatewayConfig;
  readonly endpoint: ResolvedEndpoint;
  readonly bus: Bus;
  readonly clock: Clock;
  readonly log: Logger;
  readonly metrics: MetricsRegistry;
  /** For Entra ID endpoints: where bearer tokens come from. */
  readonly tokens?: TokenSource;
  /** Makes the transport; a LinkConnection (WebSocket) unless given. */
  readonly transport?: (events: TransportEvents) => LinkTransport;
}

/**
 * The gateway's one owner of the link's state: the connection (socket, reconnects, upkeep), the
 * protocol link over it, the session as configured plus what commands changed (kept, and applied
 * again to every new session), the conversation carried from one session to the next (a
 * rotation before the service's cap, a dropped link), the greeting of a new conversation, and
 * the one publisher of `realtime-gateway.state`.
 */
export class RealtimeGateway {
  readonly link: RealtimeLink;
  private readonly connection: LinkTransport;
  private readonly patch = new SessionPatch();
  private readonly patchesRefused;
  private turns: TurnMode | undefined;
  private sessionId: string | null = null;
  private readonly memory = new ConversationMemory();
  private readonly rotation: SessionRotation;
  /** The next session starts a conversation (greeted, nothing carried over) rather than continuing one. */
  private freshConversation = true;

  constructor(private readonly o: RealtimeGatewayOptions) {
    const { config, endpoint, clock, log, metrics } = o;
    this.patchesRefused = metrics.counter('session.patchesRefused');
    this.rotation = new SessionRotation({
      clock,
      log,
      graceMs: config.sessionRotateGraceMs,
      quiet: () => this.link.quiet,
      rotate: (reason) => this.connection.reconnect(reason),
    });
    this.link = new RealtimeLink({
      dialect: endpoint.dialect,
      bus: o.bus,
      clock,
      log: log.child({ module: 'link' }),
      metrics,
      send: (text) => this.connection.send(text),
      onSession: (sessionId) => this.sessionCreated(sessionId),
      onText: (speaker, text) => this.memory.remember(speaker, text),
      onQuiet: () => this.rotation.check(),
      onRefused: (eventId, reason) => this.clientEventRefused(eventId, reason),
      appendBatchMs: config.appendBatchMs,
      rawSkipped: config.rawSkipped,
      transcriptDeltaMs: config.transcriptDeltaMs,
      frameMs: 20,
      toolTimeoutMs: config.toolTimeoutMs,
    });
    const events: TransportEvents = {
      onOpen: () => {
        this.sessionId = null;
        this.rotation.cancel();
        this.link.connectionOpened();
      },
      onMessage: (text) => this.link.receive(text),
      onState: (state, reason, attempt) => this.publishState(state, reason, attempt),
      onRotationDue: () => this.rotation.due(),
    };
    this.connection = o.transport
      ? o.transport(events)
      : new LinkConnection({
          endpoint,
          socket: socketOptions(config, log),
          clock,
          log: log.child({ module: 'connection' }),
          metrics,
          keepaliveMs: config.keepaliveMs,
          reconnectInitialMs: config.reconnectInitialMs,
          reconnectMaxMs: config.reconnectMaxMs,
          sessionRotateMs: config.sessionRotateMs,
          maxMessageBytes: config.maxMessageBytes,
          ...events,
          ...(o.tokens ? { tokens: o.tokens } : {}),
        });
  }

  get connected(): boolean {
    return this.connection.connected;
  }

  start(): void {
    this.connection.start();
  }

  async stop(): Promise<void> {
    await this.connection.stop();
  }

  /** A new conversation on a new session (the reconnect command). */
  reconnect(reason: string): void {
    this.startConversation();
    this.connection.reconnect(reason);
  }

  /** The conversation ended: the link closes until a reconnect. */
  async disconnect(reason: string): Promise<void> {
    this.startConversation();
    await this.connection.disconnect(reason);
  }

  /** How turns are taken (the turn-detection command): kept, and sent to this session now. */
  setTurns(turns: TurnMode): void {
    this.turns = turns;
    this.link.updateSession(this.session());
  }

  /**
   * A session patch (the update-session command): merged, kept, and sent to this session now;
   * undone if the service refuses it (see SessionPatch). Returns why it was refused, if it was.
   */
  patchSession(patch: Record<string, unknown>): string | undefined {
    const applied = this.patch.apply(patch);
    if ('refused' in applied) {
      this.patchesRefused.inc();
      return applied.refused;
    }
    this.link.updateSession(this.session(), applied.eventId);
    return undefined;
  }

  /** The session.update body for the current settings, in the endpoint's dialect. */
  session(): Record<string, unknown> {
    return renderSessionUpdate(this.o.config, this.o.endpoint.dialect, this.o.endpoint.provider, this.patch.current, this.turns);
  }

  /** The service refused a client event: a session patch is undone, and the session set again without it. */
  private clientEventRefused(eventId: string, reason: string): void {
    if (!this.patch.refused(eventId)) return;
    this.patchesRefused.inc();
    this.o.log.warn({ reason }, 'the realtime service refused a session patch: dropped, the session keeps its settings');
    // Updates sent after it carried it too, and were refused with it: the settings once more.
    this.link.updateSession(this.session());
  }

  private startConversation(): void {
    this.freshConversation = true;
    this.memory.forget();
    this.rotation.cancel();
  }

  /** A session exists: configure it, then greet a new conversation or carry the last one over. */
  private sessionCreated(sessionId: string | null): void {
    this.sessionId = sessionId;
    this.link.updateSession(this.session());
    if (this.freshConversation) {
      this.freshConversation = false;
      if (this.o.config.greeting) this.link.respond(this.o.config.greeting);
    } else if (this.memory.size > 0) {
      this.o.log.info({ items: this.memory.size }, 'carrying the conversation into the new session');
      this.link.addItems(this.memory.replay(this.o.endpoint.dialect));
    }
    this.publishState('connected', null, 0);
  }

  private publishState(state: LinkState, reason: string | null, attempt: number): void {
    const { provider, dialect, model } = this.o.endpoint;
    this.o.bus.publish('realtime-gateway.state', {}, { state, provider, dialect, model, sessionId: this.sessionId, reason, attempt, sinceMs: this.o.clock.nowMs() });
  }
}
