import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { WebSocketServer } from 'ws';
import { ConfigError, MetricsRegistry, systemClock } from '@voxbus/shared';
import { defaultToolTrigger, serverCertificate, startSimServer, syntheticVoice } from '@voxbus/realtime-sim/lib';
import { cleanupAfterEach } from '../../../test/helpers/cleanup.js';
import { waitFor } from '../../../test/helpers/wait.js';
import { GATEWAY_DEFAULTS, type GatewayConfig } from '../src/config.js';
import { resolveEndpoint } from '../src/endpoint.js';
import { LinkConnection } from '../src/link-connection.js';
import { socketOptions } from '../src/socket-options.js';

const onCleanup = cleanupAfterEach();
const log = pino({ level: 'silent' });

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'voxbus-gateway-tls-'));
  onCleanup(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** The sim over wss:// with a certificate made now, written where a client can be told to trust it. */
async function tlsSim(perMessageDeflate = true) {
  const caFile = join(tempDir(), 'sim.pem');
  const tls = await serverCertificate({ tls: true, tlsCertFile: '', tlsKeyFile: '', tlsCertOut: caFile });
  const server = await startSimServer({
    host: '127.0.0.1', port: 0, apiKey: 'sk-tls', voice: syntheticVoice, clock: systemClock, log, metrics: new MetricsRegistry(),
    realtimeFactor: 4, deltaMs: 100, sessionMaxMs: 3_600_000, replyText: () => 'hi', toolTrigger: defaultToolTrigger(''), perMessageDeflate,
    ...(tls ? { tls } : {}),
  });
  onCleanup(() => server.close());
  return { server, caFile };
}

function connect(config: Partial<GatewayConfig>) {
  const full: GatewayConfig = { ...GATEWAY_DEFAULTS, provider: 'openai', apiKey: 'sk-tls', ...config };
  const states: [string, string | null][] = [];
  const received: string[] = [];
  const link = new LinkConnection({
    endpoint: resolveEndpoint(full), socket: socketOptions(full, log), clock: systemClock, log, metrics: new MetricsRegistry(),
    keepaliveMs: 5000, reconnectInitialMs: 50, reconnectMaxMs: 200, sessionRotateMs: 3_600_000, maxMessageBytes: 1 << 24,
    onOpen: () => {}, onMessage: (text) => received.push(text), onState: (state, reason) => states.push([state, reason]),
  });
  onCleanup(() => link.stop());
  link.start();
  return { link, states, received };
}

describe('the realtime link over TLS, with the socket options', () => {
  it('trusts the CA file it is given, and refuses an unknown certificate without it, saying why', async () => {
    const { server, caFile } = await tlsSim();
    const trusted = connect({ endpoint: `wss://127.0.0.1:${server.port}`, tlsCaFile: caFile });
    await waitFor('session.created over wss', () => trusted.received.some((text) => text.includes('"session.created"')));

    const untrusted = connect({ endpoint: `wss://127.0.0.1:${server.port}` });
    await waitFor('a refused certificate', () => untrusted.states.some(([state]) => state === 'reconnecting'));
    expect(untrusted.states.find(([state]) => state === 'reconnecting')?.[1]).toMatch(/self[- ]signed certificate/i);
    expect(untrusted.received).toEqual([]);
  });

  it('connects without any check when told it is a lab (tlsInsecure)', async () => {
    const { server } = await tlsSim();
    const lab = connect({ endpoint: `wss://127.0.0.1:${server.port}`, tlsInsecure: true });
    await waitFor('session.created', () => lab.received.some((text) => text.includes('"session.created"')));
  });

  it('offers permessage-deflate only when configured, and the service agrees to it', async () => {
    const { server, caFile } = await tlsSim(true);
    const plain = connect({ endpoint: `wss://127.0.0.1:${server.port}`, tlsCaFile: caFile });
    await waitFor('connected', () => plain.link.connected && server.sessions() === 1);
    expect(server.extensions()).toEqual(['']);
    await plain.link.stop();
    await waitFor('closed', () => server.sessions() === 0);
    const deflated = connect({ endpoint: `wss://127.0.0.1:${server.port}`, tlsCaFile: caFile, perMessageDeflate: true });
    await waitFor('connected with deflate', () => deflated.link.connected && server.sessions() === 1);
    expect(server.extensions()[0]).toMatch(/^permessage-deflate/);
    await waitFor('session.created, compressed', () => deflated.received.some((text) => text.includes('"session.created"')));
  });

  it('sends the extra headers, under its own credentials', async () => {
    const server = new WebSocketServer({ host: '127.0.0.1', port: 0 });
    onCleanup(() => new Promise<void>((resolve) => server.close(() => resolve())));
    await new Promise((resolve) => server.once('listening', resolve));
    const seen: Record<string, string | string[] | undefined>[] = [];
    server.on('connection', (_socket, request) => seen.push(request.headers));
    const { port } = server.address() as { port: number };
    connect({ endpoint: `ws://127.0.0.1:${port}`, headers: { 'X-Proxy-Token': 'p-1', 'OpenAI-Project': 'proj_9' } });
    await waitFor('the handshake', () => seen.length === 1);
    expect(seen[0]).toMatchObject({ 'x-proxy-token': 'p-1', 'openai-project': 'proj_9', authorization: 'Bearer sk-tls' });
  });

  it('presents its client certificate to a service that asks for one, and is refused without it', async () => {
    const { createServer } = await import('node:https');
    const { generate } = await import('selfsigned');
    // One self-signed certificate that is both the server's and the CA of the client's.
    const made = await generate([{ name: 'commonName', value: 'localhost' }], {
      keySize: 2048, algorithm: 'sha256', clientCertificate: { cn: 'voxbus-board' },
      extensions: [{ name: 'basicConstraints', cA: true }, { name: 'subjectAltName', altNames: [{ type: 7, ip: '127.0.0.1' }] }],
    });
    const dir = tempDir();
    const files = { ca: join(dir, 'ca.pem'), cert: join(dir, 'client.pem'), key: join(dir, 'client.key') };
    writeFileSync(files.ca, made.cert);
    writeFileSync(files.cert, made.clientcert ?? '');
    writeFileSync(files.key, made.clientprivate ?? '');
    const https = createServer({ cert: made.cert, key: made.private, ca: made.cert, requestCert: true, rejectUnauthorized: true });
    const wss = new WebSocketServer({ server: https });
    const subjects: string[] = [];
    wss.on('connection', (_socket, request) => {
      const peer = (request.socket as import('node:tls').TLSSocket).getPeerCertificate();
      subjects.push(String(peer.subject?.CN));
    });
    onCleanup(() => new Promise<void>((resolve) => {
      wss.close();
      https.close(() => resolve());
    }));
    await new Promise<void>((resolve) => https.listen(0, '127.0.0.1', resolve));
    const { port } = https.address() as { port: number };
    const endpoint = `wss://127.0.0.1:${port}`;

    const withCert = connect({ endpoint, tlsCaFile: files.ca, tlsCertFile: files.cert, tlsKeyFile: files.key });
    await waitFor('connected with the client certificate', () => withCert.link.connected);
    expect(subjects).toEqual(['voxbus-board']);

    const without = connect({ endpoint, tlsCaFile: files.ca });
    await waitFor('refused without a client certificate', () => without.states.some(([state]) => state === 'reconnecting'));
    expect(without.link.connected).toBe(false);
    expect(subjects).toHaveLength(1);
  });

  it('refuses settings it cannot honour, naming them', () => {
    const config = (overrides: Partial<GatewayConfig>): GatewayConfig => ({ ...GATEWAY_DEFAULTS, ...overrides });
    expect(() => socketOptions(config({ headers: { Authorization: 'Bearer other' } }), log)).toThrow(/may not set Authorization/);
    expect(() => socketOptions(config({ tlsCaFile: '/nonexistent/ca.pem' }), log)).toThrow(ConfigError);
    expect(() => socketOptions(config({ tlsCaFile: '/nonexistent/ca.pem' }), log)).toThrow(/\/nonexistent\/ca.pem/);
    const certFile = join(tempDir(), 'client.pem');
    writeFileSync(certFile, 'x');
    expect(() => socketOptions(config({ tlsCertFile: certFile }), log)).toThrow(/go together/);
  });
});
