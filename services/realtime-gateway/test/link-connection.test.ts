import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { type LinkState, MetricsRegistry, systemClock } from '@voxbus/shared';
import { defaultToolTrigger, startSimServer, syntheticVoice } from '@voxbus/realtime-sim/lib';
import { cleanupAfterEach } from '../../../test/helpers/cleanup.js';
import { waitFor } from '../../../test/helpers/wait.js';
import { GATEWAY_DEFAULTS } from '../src/config.js';
import type { TokenSource } from '../src/credentials.js';
import { resolveEndpoint } from '../src/endpoint.js';
import { LinkConnection } from '../src/link-connection.js';

const onCleanup = cleanupAfterEach();
const log = pino({ level: 'silent' });

async function sim(): Promise<number> {
  const server = await startSimServer({
    host: '127.0.0.1', port: 0, apiKey: 'entra-token-1', voice: syntheticVoice, clock: systemClock, log, metrics: new MetricsRegistry(),
    realtimeFactor: 4, deltaMs: 100, sessionMaxMs: 3_600_000, replyText: () => 'hi', toolTrigger: defaultToolTrigger(''),
  });
  onCleanup(() => server.close());
  return server.port;
}

function connection(port: number, tokens: TokenSource) {
  const states: [LinkState, string | null][] = [];
  const received: string[] = [];
  const endpoint = resolveEndpoint({ ...GATEWAY_DEFAULTS, provider: 'azure', endpoint: `ws://127.0.0.1:${port}`, auth: 'entra-id' });
  const link = new LinkConnection({
    endpoint, clock: systemClock, log, metrics: new MetricsRegistry(), keepaliveMs: 5000, reconnectInitialMs: 50, reconnectMaxMs: 200,
    sessionRotateMs: 3_600_000, maxMessageBytes: 16 * 1024 * 1024, onOpen: () => {}, onMessage: (text) => received.push(text),
    onState: (state, reason) => states.push([state, reason]), tokens,
  });
  onCleanup(() => link.stop());
  return { link, states, received };
}

describe('LinkConnection with Entra ID', () => {
  it('asks for a token for the Azure scope at connect and sends it as a bearer header only', async () => {
    const port = await sim();
    const scopes: string[] = [];
    const { link, states, received } = connection(port, {
      token: async (scope) => {
        scopes.push(scope);
        return 'entra-token-1';
      },
    });
    link.start();
    await waitFor('session.created', () => received.some((text) => text.includes('"session.created"')));
    expect(scopes).toEqual(['https://cognitiveservices.azure.com/.default']);
    expect(states.map(([state]) => state)).toEqual(['connecting', 'connected']);
  });

  it('retries, saying why, while no token can be had', async () => {
    const port = await sim();
    let calls = 0;
    const { link, states } = connection(port, {
      token: async () => {
        calls++;
        if (calls < 3) throw new Error('no managed identity here');
        return 'entra-token-1';
      },
    });
    link.start();
    await waitFor('connected', () => states.some(([state]) => state === 'connected'));
    expect(states.filter(([state]) => state === 'reconnecting')[0]?.[1]).toMatch(/no Entra ID token for https:\/\/cognitiveservices.azure.com\/.default: no managed identity here/);
    expect(calls).toBe(3);
  });

  it('stops in the error state when the service refuses the token', async () => {
    const port = await sim();
    const { link, states } = connection(port, { token: async () => 'an-expired-token' });
    link.start();
    await waitFor('error', () => states.some(([state]) => state === 'error'));
    expect(states.at(-1)?.[1]).toMatch(/HTTP 401 at the handshake/);
  });
});

describe('LinkConnection upkeep', () => {
  it('rotates to a fresh session before the cap', async () => {
    const port = await sim();
    const opened: number[] = [];
    const received: string[] = [];
    const endpoint = resolveEndpoint({ ...GATEWAY_DEFAULTS, provider: 'azure', endpoint: `ws://127.0.0.1:${port}`, apiKey: 'entra-token-1' });
    const link = new LinkConnection({
      endpoint, clock: systemClock, log, metrics: new MetricsRegistry(), keepaliveMs: 5000, reconnectInitialMs: 50, reconnectMaxMs: 200,
      sessionRotateMs: 300, maxMessageBytes: 1 << 24, onOpen: () => opened.push(Date.now()), onMessage: (text) => received.push(text), onState: () => {},
    });
    onCleanup(() => link.stop());
    link.start();
    await waitFor('two sessions', () => received.filter((text) => text.includes('"session.created"')).length >= 2, 5000);
    expect(opened.length).toBeGreaterThanOrEqual(2);
    const ids = received.filter((text) => text.includes('"session.created"')).map((text) => (JSON.parse(text) as { session: { id: string } }).session.id);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('disconnects on request, stays idle without retrying, and connects again on reconnect', async () => {
    const port = await sim();
    const states: LinkState[] = [];
    const received: string[] = [];
    const endpoint = resolveEndpoint({ ...GATEWAY_DEFAULTS, provider: 'azure', endpoint: `ws://127.0.0.1:${port}`, apiKey: 'entra-token-1' });
    const link = new LinkConnection({
      endpoint, clock: systemClock, log, metrics: new MetricsRegistry(), keepaliveMs: 5000, reconnectInitialMs: 50, reconnectMaxMs: 200,
      sessionRotateMs: 3_600_000, maxMessageBytes: 1 << 24, onOpen: () => {}, onMessage: (text) => received.push(text), onState: (state) => states.push(state),
    });
    onCleanup(() => link.stop());
    link.start();
    await waitFor('connected', () => received.some((text) => text.includes('"session.created"')));
    await link.disconnect('the conversation ended');
    expect(link.connected).toBe(false);
    expect(link.send('{}')).toBe(false);
    await new Promise((resolve) => setTimeout(resolve, 400));
    expect(states.slice(-1)).toEqual(['idle']);
    link.reconnect('wake up');
    await waitFor('a second session', () => received.filter((text) => text.includes('"session.created"')).length === 2);
    expect(states.at(-1)).toBe('connected');
  });

  it('gives up with a clear reason on 403 at the handshake', async () => {
    const { createServer } = await import('node:http');
    const server = createServer((_, response) => response.writeHead(403).end());
    server.on('upgrade', (_request, socket) => socket.end('HTTP/1.1 403 Forbidden\r\nContent-Length: 9\r\n\r\nforbidden'));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    onCleanup(() => new Promise<void>((resolve) => server.close(() => resolve())));
    const port = (server.address() as { port: number }).port;
    const states: [LinkState, string | null][] = [];
    const endpoint = resolveEndpoint({ ...GATEWAY_DEFAULTS, provider: 'azure', endpoint: `ws://127.0.0.1:${port}`, apiKey: 'k' });
    const link = new LinkConnection({
      endpoint, clock: systemClock, log, metrics: new MetricsRegistry(), keepaliveMs: 5000, reconnectInitialMs: 50, reconnectMaxMs: 200,
      sessionRotateMs: 3_600_000, maxMessageBytes: 1 << 24, onOpen: () => {}, onMessage: () => {}, onState: (state, reason) => states.push([state, reason]),
    });
    onCleanup(() => link.stop());
    link.start();
    await waitFor('the error state', () => states.some(([state]) => state === 'error'));
    expect(states.find(([state]) => state === 'error')?.[1]).toBe('HTTP 403 at the handshake: forbidden');
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(states.filter(([state]) => state === 'reconnecting')).toEqual([]);
  });
});


describe('LinkConnection closing', () => {
  it('ends every socket with a close frame (1000) on disconnect, reconnect and stop, as the service should see', async () => {
    const { WebSocketServer } = await import('ws');
    const server = new WebSocketServer({ host: '127.0.0.1', port: 0 });
    onCleanup(() => new Promise<void>((resolve) => server.close(() => resolve())));
    await new Promise((resolve) => server.once('listening', resolve));
    const closes: number[] = [];
    let connections = 0;
    server.on('connection', (socket) => {
      connections++;
      socket.on('close', (code) => closes.push(code));
    });
    const port = (server.address() as { port: number }).port;
    const endpoint = resolveEndpoint({ ...GATEWAY_DEFAULTS, provider: 'azure', endpoint: `ws://127.0.0.1:${port}`, apiKey: 'key' });
    const states: LinkState[] = [];
    const link = new LinkConnection({
      endpoint, clock: systemClock, log, metrics: new MetricsRegistry(), keepaliveMs: 5000, reconnectInitialMs: 50, reconnectMaxMs: 200,
      sessionRotateMs: 3_600_000, maxMessageBytes: 1024 * 1024, onOpen: () => {}, onMessage: () => {}, onState: (state) => states.push(state),
    });
    onCleanup(() => link.stop());
    link.start();
    await waitFor('the first connection', () => link.connected && connections === 1);
    link.reconnect('reconnect command');
    await waitFor('the second connection, the first closed', () => link.connected && connections === 2 && closes.length === 1);
    await link.disconnect('disconnect command');
    await waitFor('the second closed', () => closes.length === 2);
    link.reconnect('reconnect command');
    await waitFor('the third connection', () => link.connected && connections === 3);
    await link.stop();
    await waitFor('the third closed', () => closes.length === 3);
    expect(closes, `close codes the service saw (1006: the socket was cut without a close frame); states ${states.join(' → ')}`).toEqual([1000, 1000, 1000]);
  });
});
