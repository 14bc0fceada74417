import type { Bus, Clock, LinkState, Logger, MetricsRegistry } from '@voxbus/shared';
import type { GatewayConfig } from './config.js';
import type { TokenSource } from './credentials.js';
import type { ResolvedEndpoint } from './endpoint.js';
import { LinkConnection } from './link-connection.js';
import { RealtimeLink } from './realtime-link.js';
import { renderSessionUpdate, type TurnMode } from './session-render.js';
import { socketOptions } from './socket-options.js';

/** The socket side as the gateway uses it (LinkConnection; an in-memory one in tests). */
export interface LinkTransport {
  readonly connected: boolean;
  start(): void;
  stop(): Promise<void>;
  send(text: string): boolean;
  reconnect(reason: string): void;
  disconnect(reason: string): Promise<void>;
}

/** What a transport reports: a new socket, each text frame, each state. */
export interface TransportEvents {
  readonly onOpen: () => void;
  readonly onMessage: (text: string) => void;
  readonly onState: (state: LinkState, reason: string | null, attempt: number) => void;
}

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
 * again to every new session), and the one publisher of `gateway.state`.
 */
export class RealtimeGateway {
  readonly link: RealtimeLink;
  private readonly connection: LinkTransport;
  private patch: Record<string, unknown> = {};
  private turns: TurnMode | undefined;
  private sessionId: string | null = null;

  constructor(private readonly o: RealtimeGatewayOptions) {
    const { config, endpoint, clock, log, metrics } = o;
    this.link = new RealtimeLink({
      dialect: endpoint.dialect,
      bus: o.bus,
      clock,
      log: log.child({ module: 'link' }),
      metrics,
      send: (text) => this.connection.send(text),
      onSession: (sessionId) => this.sessionCreated(sessionId),
      appendBatchMs: config.appendBatchMs,
      frameMs: 20,
      toolTimeoutMs: config.toolTimeoutMs,
    });
    const events: TransportEvents = {
      onOpen: () => {
        this.sessionId = null;
        this.link.connectionOpened();
      },
      onMessage: (text) => this.link.receive(text),
      onState: (state, reason, attempt) => this.publishState(state, reason, attempt),
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

  reconnect(reason: string): void {
    this.connection.reconnect(reason);
  }

  async disconnect(reason: string): Promise<void> {
    await this.connection.disconnect(reason);
  }

  /** How turns are taken (the turn-detection command): kept, and sent to this session now. */
  setTurns(turns: TurnMode): void {
    this.turns = turns;
    this.link.updateSession(this.session());
  }

  /** A session patch (the update-session command): merged, kept, and sent to this session now. */
  patchSession(patch: Record<string, unknown>): void {
    this.patch = { ...this.patch, ...patch };
    this.link.updateSession(this.session());
  }

  /** The session.update body for the current settings, in the endpoint's dialect. */
  session(): Record<string, unknown> {
    return renderSessionUpdate(this.o.config, this.o.endpoint.dialect, this.o.endpoint.provider, this.patch, this.turns);
  }

  private sessionCreated(sessionId: string | null): void {
    this.sessionId = sessionId;
    this.link.updateSession(this.session());
    this.publishState('connected', null, 0);
  }

  private publishState(state: LinkState, reason: string | null, attempt: number): void {
    const { provider, dialect, model } = this.o.endpoint;
    this.o.bus.publish('gateway.state', {}, { state, provider, dialect, model, sessionId: this.sessionId, reason, attempt, sinceMs: this.o.clock.nowMs() });
  }
}
