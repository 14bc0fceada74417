import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer } from 'ws';
import type { Logger } from '@voxbus/shared';
import type { StreamHandle, TelephonyBridge } from './bridge.js';

export interface MediaServer {
  readonly port: number;
  close(): Promise<void>;
}

/**
 * The WebSocket server the platforms connect to. Every upgrade is handed to the bridge, which
 * takes it as the call or refuses it with a close reason; a message over `maxMessageBytes` closes
 * the stream with 1009 (ws does that itself). Plain HTTP gets a line saying what this is.
 */
export async function startMediaServer(options: { host: string; port: number; maxMessageBytes: number }, bridge: TelephonyBridge, log: Logger): Promise<MediaServer> {
  const http: Server = createServer((_request, response) => {
    response.writeHead(426, { 'content-type': 'text/plain' });
    response.end('voxbus telephony bridge: open a WebSocket at /freeswitch (mod_audio_stream) or /acs (Azure Communication Services media streaming)\n');
  });
  const wss = new WebSocketServer({ server: http, maxPayload: options.maxMessageBytes, perMessageDeflate: false });
  wss.on('connection', (socket, request) => {
    const url = new URL(request.url ?? '/', 'ws://bridge');
    let handle: StreamHandle | undefined;
    socket.on('error', (error) => log.debug({ err: error.message }, 'call stream socket error'));
    handle = bridge.accept({
      url,
      socket: {
        sendText: (text) => {
          if (socket.readyState === socket.OPEN) socket.send(text);
        },
        sendBinary: (data) => {
          if (socket.readyState === socket.OPEN) socket.send(data, { binary: true });
        },
      },
      close: (code, reason) => socket.close(code, reason),
    });
    if (handle === undefined) return;
    socket.on('message', (data, isBinary) => handle?.receive(Buffer.isBuffer(data) ? data : Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data), isBinary));
    socket.on('close', (code, reason) => {
      handle?.closed(code, reason.toString('utf8'));
      handle = undefined;
    });
  });
  await new Promise<void>((resolve, reject) => {
    http.once('error', reject);
    http.listen(options.port, options.host, () => resolve());
  });
  const { port } = http.address() as AddressInfo;
  return {
    port,
    close: () =>
      new Promise<void>((resolve) => {
        for (const client of wss.clients) client.terminate();
        wss.close();
        http.close(() => resolve());
        http.closeAllConnections();
      }),
  };
}
