import { createServer, type IncomingMessage, type RequestListener, type Server, STATUS_CODES } from 'node:http';
import { createServer as createTlsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import type { Clock, Logger, MetricsRegistry } from '@voxbus/shared';
import { decideUpgrade, type Endpoint } from './endpoint.js';
import { randomIds } from './ids.js';
import { type ResponseTiming, SimSession, type ToolTrigger, type TurnFacts } from './realtime-session.js';
import type { Voice } from './voice.js';

export interface SimServerOptions {
  readonly host: string;
  readonly port: number;
  readonly apiKey: string;
  readonly voice: Voice;
  readonly clock: Clock;
  readonly log: Logger;
  readonly metrics: MetricsRegistry;
  readonly realtimeFactor: number;
  readonly deltaMs: number;
  readonly sessionMaxMs: number;
  readonly replyText: (turn: TurnFacts) => string;
  readonly toolTrigger: ToolTrigger;
  /** Each response's own time (see ResponseTiming). */
  readonly onTiming?: (timing: ResponseTiming) => void;
  /** Serve wss:// with this certificate (sim-tls.ts). */
  readonly tls?: { readonly cert: string; readonly key: string };
  /** Accept permessage-deflate when a client offers it (the real services do). */
  readonly perMessageDeflate?: boolean;
}

export type Fault =
  | { readonly kind: 'drop' | 'expire' | 'error' | 'fragmented' | 'unknown-event' | 'garbage' }
  | { readonly kind: 'stall'; readonly durationMs: number }
  | { readonly kind: 'oversized'; readonly bytes: number };

export interface SimServer {
  readonly port: number;
  readonly sessions: () => number;
  /** The WebSocket extensions each open connection agreed (permessage-deflate or none). */
  readonly extensions: () => string[];
  /** Makes every open session misbehave as the real service can. */
  inject(fault: Fault): void;
  close(): Promise<void>;
}

interface Connection {
  readonly ws: WebSocket;
  readonly session: SimSession;
  /** While stalled: nothing is read, and what the session sends waits here. */
  held: string[] | undefined;
}

/** Real frames can be large (74 KB audio deltas seen on Azure); accept what the real service would. */
const MAX_MESSAGE_BYTES = 16 * 1024 * 1024;

function refuse(socket: Duplex, status: number, body: string): void {
  socket.end(
    `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? 'Error'}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
  );
}

/** The sim on a WebSocket: one SimSession per connection, addressed and authenticated like the real endpoints. */
export async function startSimServer(o: SimServerOptions): Promise<SimServer> {
  const connections = o.metrics.counter('connections.accepted');
  const refused = o.metrics.counter('connections.refused');
  const live = new Map<WebSocket, Connection>();
  o.metrics.gauge('sessions.open', () => live.size);
  const wss = new WebSocketServer({
    noServer: true,
    maxPayload: MAX_MESSAGE_BYTES,
    perMessageDeflate: o.perMessageDeflate ?? true,
    // Browser-style clients offer `realtime` (plus the key); the server picks `realtime`.
    handleProtocols: (protocols) => (protocols.has('realtime') ? 'realtime' : false),
  });

  const attach = (ws: WebSocket, endpoint: Endpoint): SimSession => {
    const connection: Connection = { ws, session: undefined as unknown as SimSession, held: undefined };
    live.set(ws, connection);
    const session = new SimSession({
      endpoint,
      clock: o.clock,
      ids: randomIds,
      voice: o.voice,
      log: o.log,
      realtimeFactor: o.realtimeFactor,
      deltaMs: o.deltaMs,
      replyText: o.replyText,
      toolTrigger: o.toolTrigger,
      sessionMaxMs: o.sessionMaxMs,
      send: (event) => {
        const text = JSON.stringify(event);
        if (connection.held) connection.held.push(text);
        else if (ws.readyState === ws.OPEN) ws.send(text);
      },
      close: (code, reason) => ws.close(code, reason),
      ...(o.onTiming ? { onTiming: o.onTiming } : {}),
    });
    (connection as { session: SimSession }).session = session;
    ws.on('message', (data, isBinary) => {
      if (isBinary) {
        session.receive('');
        return;
      }
      session.receive(data.toString());
    });
    ws.on('error', (error) => o.log.debug({ err: error.message }, 'client socket error'));
    ws.on('close', () => {
      live.delete(ws);
      session.shutdown();
    });
    return session;
  };

  const notWebSocket: RequestListener = (_, response) => {
    response.writeHead(426, { 'content-type': 'text/plain' }).end('this is a realtime WebSocket endpoint\n');
  };
  const server: Server = o.tls ? createTlsServer({ cert: o.tls.cert, key: o.tls.key }, notWebSocket) : createServer(notWebSocket);
  server.on('upgrade', (request: IncomingMessage, socket: Duplex, head: Buffer) => {
    const decision = decideUpgrade({ url: request.url ?? '/', headers: request.headers }, o.apiKey);
    if (decision.kind === 'refuse') {
      refused.inc();
      o.log.info({ url: request.url?.split('?')[0], status: decision.status }, 'upgrade refused');
      refuse(socket, decision.status, decision.body);
      return;
    }
    wss.handleUpgrade(request, socket, head, (ws) => {
      connections.inc();
      const session = attach(ws, decision.endpoint);
      o.log.info({ provider: decision.endpoint.provider, dialect: decision.endpoint.dialect, model: decision.endpoint.model }, 'session opened');
      if (decision.kind === 'accept-then-close') {
        // As the real service: an error event, then a close whose reason is `<type>.<code>`.
        ws.send(JSON.stringify({ type: 'error', event_id: randomIds('event'), error: { type: 'invalid_request_error', code: decision.errorCode, message: decision.message, param: null, event_id: null } }));
        ws.close(decision.code, `invalid_request_error.${decision.errorCode}`);
        session.shutdown();
        return;
      }
      session.open();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(o.port, o.host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  o.log.info({ host: o.host, port, voice: o.voice.kind, scheme: o.tls ? 'wss' : 'ws' }, 'realtime simulator listening');
  const faults = o.metrics.counter('faults.injected');
  const inject = (fault: Fault): void => {
    faults.inc();
    o.log.warn({ fault, sessions: live.size }, 'injecting a fault');
    for (const connection of live.values()) {
      const { ws, session } = connection;
      switch (fault.kind) {
        case 'drop':
          session.shutdown();
          ws.terminate();
          break;
        case 'expire':
          session.expire();
          break;
        case 'error':
          ws.send(JSON.stringify({
            type: 'error',
            event_id: randomIds('event'),
            error: { type: 'server_error', code: 'server_error', message: 'The server had an error while processing your request.', param: null, event_id: null },
          }));
          break;
        case 'fragmented': {
          // A valid event split over several frames: a client must reassemble it.
          const text = JSON.stringify({ type: 'rate_limits.updated', event_id: randomIds('event'), rate_limits: [{ name: 'tokens', limit: 40000, remaining: 39999, reset_seconds: 1 }] });
          const third = Math.ceil(text.length / 3);
          ws.send(text.slice(0, third), { fin: false });
          ws.send(text.slice(third, 2 * third), { fin: false });
          ws.send(text.slice(2 * third), { fin: true });
          break;
        }
        case 'oversized':
          ws.send(JSON.stringify({ type: 'response.output_audio.delta', event_id: randomIds('event'), delta: 'A'.repeat(fault.bytes) }));
          break;
        case 'unknown-event':
          ws.send(JSON.stringify({ type: 'session.something_new', event_id: randomIds('event'), detail: 'an event type from a newer service' }));
          break;
        case 'garbage':
          ws.send('{"type": "response.done", this is not json');
          break;
        case 'stall': {
          // Not reading also means not answering pings: a client's keepalive should notice.
          const socket = (ws as unknown as { _socket?: { pause(): void; resume(): void } })._socket;
          connection.held = connection.held ?? [];
          socket?.pause();
          o.clock.setTimer('stall', fault.durationMs, () => {
            socket?.resume();
            const held = connection.held ?? [];
            connection.held = undefined;
            for (const text of held) if (ws.readyState === ws.OPEN) ws.send(text);
          });
          break;
        }
      }
    }
  };

  return {
    port,
    sessions: () => live.size,
    extensions: () => [...live.keys()].map((ws) => ws.extensions),
    inject,
    async close() {
      for (const ws of live.keys()) ws.terminate();
      wss.close();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
