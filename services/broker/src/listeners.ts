import { createServer as createHttpServer, type IncomingMessage, type Server as HttpServer, type RequestListener } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { type AddressInfo, createServer as createTcpServer, type Server as TcpServer, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { createServer as createTlsServer } from 'node:tls';
import { createWebSocketStream, WebSocketServer } from 'ws';

/** A certificate and its key, PEM. */
export interface TlsPair {
  readonly cert: string;
  readonly key: string;
}

export interface ListenerOptions {
  readonly host: string;
  readonly wsPath: string;
  readonly maxWsPayloadBytes: number;
  /** Hands a connection (a socket, or a WebSocket's stream with its request) to the broker. */
  readonly handle: (stream: Duplex, request?: IncomingMessage) => void;
  /** Whether a WebSocket upgrade may proceed (its Origin). */
  readonly verifyUpgrade: (request: IncomingMessage) => boolean;
  /** The page on GET / of the WebSocket ports. */
  readonly page: RequestListener;
  readonly onWsError: (message: string) => void;
}

export interface Listener {
  readonly port: number;
  close(): Promise<void>;
}

function listen(server: TcpServer | HttpServer, port: number, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve((server.address() as AddressInfo).port);
    });
  });
}

/**
 * The broker's listeners: MQTT over TCP and over WebSocket (with the page), plain or over TLS.
 * TCP_NODELAY is set on every socket: without it each 20 ms frame waits on Nagle's algorithm
 * (measured: 19 ms median per hop instead of 0.22 ms). Each listener's close cuts its sockets.
 */
export class Listeners {
  private readonly sockets = new Set<Socket>();
  private readonly closers: (() => Promise<void>)[] = [];

  constructor(private readonly o: ListenerOptions) {}

  private track = (socket: Socket): void => {
    socket.setNoDelay(true);
    this.sockets.add(socket);
    socket.once('close', () => this.sockets.delete(socket));
  };

  /** MQTT over TCP, or over TLS (mqtts) with a certificate. */
  async mqtt(port: number, tls?: TlsPair): Promise<Listener> {
    const onSocket = (socket: Socket): void => {
      this.track(socket);
      this.o.handle(socket);
    };
    const server = tls ? createTlsServer({ cert: tls.cert, key: tls.key }, onSocket) : createTcpServer(onSocket);
    // A failed TLS handshake is the client's problem, not a crash.
    server.on('tlsClientError', () => {});
    const bound = await listen(server, port, this.o.host);
    const close = () => new Promise<void>((resolve) => server.close(() => resolve()));
    this.closers.push(close);
    return { port: bound, close };
  }

  /** The page and MQTT over WebSocket at `wsPath`, or over TLS (https, wss) with a certificate. */
  async webSocket(port: number, tls?: TlsPair): Promise<Listener> {
    const server = tls ? createHttpsServer({ cert: tls.cert, key: tls.key }, this.o.page) : createHttpServer(this.o.page);
    server.on(tls ? 'secureConnection' : 'connection', this.track);
    server.on('tlsClientError', () => {});
    const wss = new WebSocketServer({
      server,
      path: this.o.wsPath,
      maxPayload: this.o.maxWsPayloadBytes,
      verifyClient: ({ req }: { req: IncomingMessage }) => this.o.verifyUpgrade(req),
    });
    wss.on('connection', (socket, request) => {
      const stream: Duplex = createWebSocketStream(socket);
      stream.on('error', (error) => this.o.onWsError(error.message));
      this.o.handle(stream, request);
    });
    const bound = await listen(server, port, this.o.host);
    const close = async () => {
      for (const client of wss.clients) client.terminate();
      wss.close();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    };
    this.closers.push(close);
    return { port: bound, close };
  }

  async closeAll(): Promise<void> {
    const closed = Promise.all(this.closers.map((close) => close()));
    for (const socket of this.sockets) socket.destroy();
    await closed;
  }
}
