import WebSocket from 'ws';
import { type Clock, type Logger, type MetricsRegistry, RateLimitedLog, type TimerHandle } from '@voxbus/shared';
import type { TokenSource } from './credentials.js';
import type { ResolvedEndpoint } from './endpoint.js';
import { readRefusal } from './handshake-refusal.js';
import { endSocket } from './socket-close.js';
import type { SocketOptions } from './socket-options.js';
import type { TransportEvents } from './transport.js';

/** Without `onRotationDue` the link rotates the session itself, at once, when it falls due. */
export interface LinkConnectionOptions extends Partial<Pick<TransportEvents, 'onRotationDue'>>, Omit<TransportEvents, 'onRotationDue'> {
  readonly endpoint: ResolvedEndpoint;
  /** Headers, TLS and compression for the socket (socket-options.ts); none: plain defaults. */
  readonly socket?: SocketOptions;
  readonly clock: Clock;
  readonly log: Logger;
  readonly metrics: MetricsRegistry;
  readonly keepaliveMs: number;
  readonly reconnectInitialMs: number;
  readonly reconnectMaxMs: number;
  readonly sessionRotateMs: number;
  readonly maxMessageBytes: number;
  /** For `entraScope` endpoints: where the bearer token comes from. */
  readonly tokens?: TokenSource;
  /** 0..1, for the jitter (injectable for tests). */
  readonly random?: () => number;
}

/** Close codes after which retrying cannot help (bad key; the beta shape that OpenAI shut down). */
const FATAL_CLOSE_CODES = new Set([3000, 4000]);
/** Handshake statuses after which retrying cannot help: credentials or the address are wrong. */
const FATAL_HTTP_STATUS = new Set([400, 401, 403, 404]);

/**
 * The WebSocket to the realtime service and its upkeep: pings every `keepaliveMs` (a link whose
 * pongs stop is dropped), reconnection with exponential backoff and jitter, a fresh session
 * before the service's 60-minute cap, and a clear `error` state, with no retry loop, when the
 * service refuses the credentials or the address. `reconnect()` starts again from any state.
 */
export class LinkConnection {
  private socket: WebSocket | undefined;
  private attempt = 0;
  private stopped = false;
  private open = false;
  private awaitingPong = false;
  private readonly timers: TimerHandle[] = [];
  private retryTimer: TimerHandle | undefined;
  /** The socket's last error, reported with the close that follows it. */
  private lastError: string | undefined;
  private readonly reconnects;
  /** Reconnect and disconnect commands may come from any client: one line per kind per 10 s. */
  private readonly requests: RateLimitedLog;

  constructor(private readonly o: LinkConnectionOptions) {
    this.requests = new RateLimitedLog(o.log, 10_000, () => o.clock.monotonicUs() / 1000);
    this.reconnects = o.metrics.counter('link.reconnects');
  }

  get connected(): boolean {
    return this.open;
  }

  start(): void {
    this.connect();
  }

  /** Writes a text frame; false when there is no open socket. */
  send(text: string): boolean {
    if (!this.socket || !this.open) return false;
    this.socket.send(text);
    return true;
  }

  /** Drops the current socket (if any) and connects again at once. */
  reconnect(reason: string): void {
    if (this.stopped) return;
    this.requests.info('reconnect', { reason }, 'reconnecting on request');
    this.attempt = 0;
    this.retryTimer?.cancel();
    this.drop(reason);
    this.connect();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.close('stopping');
    this.o.onState('stopped', null, 0);
  }

  /** Closes the link on request (the conversation ended) and stays `idle` until reconnect(). */
  async disconnect(reason: string): Promise<void> {
    if (this.stopped) return;
    this.requests.info('disconnect', { reason }, 'disconnecting on request');
    await this.close(reason);
    this.attempt = 0;
    this.o.onState('idle', reason, 0);
  }

  /** Closes the socket with a normal close (waiting up to a second for the service to agree); no retry follows. */
  private async close(reason: string): Promise<void> {
    this.retryTimer?.cancel();
    this.retryTimer = undefined;
    const socket = this.drop(reason);
    if (socket && socket.readyState !== WebSocket.CLOSED) await new Promise((resolve) => socket.once('close', resolve));
  }

  private connect(): void {
    const { endpoint } = this.o;
    this.o.onState(this.attempt === 0 ? 'connecting' : 'reconnecting', null, this.attempt);
    if (endpoint.entraScope === undefined) {
      this.openSocket(endpoint.headers);
      return;
    }
    const scope = endpoint.entraScope;
    if (!this.o.tokens) {
      this.fail('auth entra-id without a token source');
      return;
    }
    this.o.tokens.token(scope).then(
      (token) => {
        if (!this.stopped) this.openSocket({ ...endpoint.headers, Authorization: `Bearer ${token}` });
      },
      (error: unknown) => this.retry(`no Entra ID token for ${scope}: ${(error as Error).message}`),
    );
  }

  private openSocket(headers: Readonly<Record<string, string>>): void {
    const { endpoint } = this.o;
    const { headers: extraHeaders, ...tls } = this.o.socket ?? { headers: {}, perMessageDeflate: false };
    const socket = new WebSocket(endpoint.url, {
      ...tls,
      headers: { ...extraHeaders, ...headers },
      maxPayload: this.o.maxMessageBytes,
      handshakeTimeout: 10_000,
    });
    this.socket = socket;
    socket.on('unexpected-response', (_request, response) => {
      // The handshake was answered with an HTTP status: this handler decides, not 'close'.
      socket.removeAllListeners('close');
      socket.on('error', () => {});
      readRefusal(response, (status, reason) => {
        socket.terminate();
        if (FATAL_HTTP_STATUS.has(status)) this.fail(reason);
        else this.retry(reason);
      });
    });
    socket.on('open', () => {
      if (socket !== this.socket) return;
      this.lastError = undefined;
      this.open = true;
      this.attempt = 0;
      this.o.log.info({ url: endpoint.url, provider: endpoint.provider, dialect: endpoint.dialect }, 'realtime link open');
      this.o.onOpen();
      this.o.onState('connected', null, 0);
      this.startUpkeep(socket);
    });
    socket.on('message', (data, isBinary) => {
      if (socket !== this.socket) return;
      if (isBinary) {
        this.o.log.warn({ bytes: (data as Buffer).length }, 'binary frame from the realtime service ignored');
        return;
      }
      this.o.onMessage(data.toString());
    });
    socket.on('pong', () => (this.awaitingPong = false));
    socket.on('error', (error) => {
      if (socket !== this.socket) return;
      this.lastError = error.message;
      this.o.log.warn({ err: error.message }, 'realtime socket error');
    });
    socket.on('close', (code, reasonBuffer) => {
      if (socket !== this.socket) return;
      this.open = false;
      this.clearUpkeep();
      if (this.stopped) return;
      const reason = `closed ${code}${reasonBuffer.length ? ` ${reasonBuffer.toString()}` : ''}${this.lastError ? ` (${this.lastError})` : ''}`;
      this.lastError = undefined;
      if (FATAL_CLOSE_CODES.has(code)) this.fail(reason);
      else if (this.retryTimer === undefined) this.retry(reason);
    });
  }

  private startUpkeep(socket: WebSocket): void {
    this.awaitingPong = false;
    this.timers.push(
      this.o.clock.setRepeating('keepalive', this.o.keepaliveMs, () => {
        if (this.awaitingPong) {
          this.o.log.warn({ keepaliveMs: this.o.keepaliveMs }, 'no pong from the realtime service: dropping the link');
          socket.terminate();
          return;
        }
        this.awaitingPong = true;
        socket.ping();
      }),
      this.o.clock.setTimer('session-rotation', this.o.sessionRotateMs, () =>
        this.o.onRotationDue ? this.o.onRotationDue() : this.reconnect('session rotation before the service cap'),
      ),
    );
  }

  private clearUpkeep(): void {
    for (const timer of this.timers.splice(0)) timer.cancel();
  }

  /** Lets go of the current socket (endSocket: a close frame with a reason, cut without one); returns it. */
  private drop(reason?: string): WebSocket | undefined {
    this.clearUpkeep();
    this.open = false;
    const socket = this.socket;
    this.socket = undefined;
    if (socket) endSocket(socket, reason);
    return socket;
  }

  /** Retrying cannot help: say why, and wait for a `reconnect` command. */
  private fail(reason: string): void {
    this.o.log.error({ reason, url: this.o.endpoint.url }, 'realtime service refused the link: not retrying (check the key and the endpoint)');
    this.drop();
    this.o.onState('error', reason, this.attempt);
  }

  private retry(reason: string): void {
    this.drop();
    this.attempt++;
    this.reconnects.inc();
    const base = Math.min(this.o.reconnectMaxMs, this.o.reconnectInitialMs * 2 ** (this.attempt - 1));
    const delayMs = Math.round(base * (0.5 + (this.o.random ?? Math.random)() / 2));
    this.o.log.warn({ reason, attempt: this.attempt, delayMs }, 'realtime link lost: reconnecting');
    this.o.onState('reconnecting', reason, this.attempt);
    this.retryTimer = this.o.clock.setTimer('reconnect', delayMs, () => {
      this.retryTimer = undefined;
      this.connect();
    });
  }
}
