import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { createRequire } from 'node:module';
import { Aedes } from 'aedes';
import { filterMatches, type LocalBroker, type Logger, type MetricsRegistry, RateLimitedLog } from '@voxbus/shared';
import { type AccessMode, BusAccess } from './bus-access.js';
import type { BrokerConfig } from './config.js';
import { Listeners, type TlsPair } from './listeners.js';
import { localBroker } from './local-broker.js';
import { boardHosts, originAllowed } from './origin-check.js';
import { guardPacketLengths } from './packet-guard.js';
import { monitorPage } from './monitor-page.js';
import { RetainedPolicy } from './retained-policy.js';
import { topicProblem } from './topic-check.js';

export interface BrokerServerOptions {
  readonly config: BrokerConfig;
  /** Who is let in and what each may do (bus-access.ts). */
  readonly access: AccessMode;
  /** The clock failed logins are throttled by (tests freeze it). */
  readonly nowMs?: () => number;
  /** With a certificate, the TLS listeners too (tlsPort, tlsWsPort). */
  readonly tls?: TlsPair | undefined;
  /** The base topic the access rules are written under. */
  readonly baseTopic: string;
  readonly version: string;
  readonly log: Logger;
  readonly metrics: MetricsRegistry;
  /** Filter of the services' status topics (`voxbus/+/status`): a client with its will there is a service. */
  readonly statusFilter: string;
}

export interface BrokerServer {
  readonly tcpPort: number;
  readonly wsPort: number;
  /** MQTT over TLS and WebSocket over TLS, when a certificate is configured. */
  readonly tlsPort: number | undefined;
  readonly tlsWsPort: number | undefined;
  readonly connectedClients: () => number;
  /** The same broker for the services in this process: no socket between them (local-broker.ts). */
  readonly local: LocalBroker;
  close(): Promise<void>;
}

/** Room for a PUBLISH's fixed header, topic and packet id around the largest payload allowed. */
const PUBLISH_OVERHEAD_BYTES = 1024;

/**
 * Aedes on TCP and on WebSocket (same broker, same limits). TCP_NODELAY is set on every
 * socket: without it each 20 ms frame waits on Nagle's algorithm (measured: 19 ms median per
 * hop instead of 0.22 ms).
 */
/**
 * Aedes writes with mqtt-packet, whose default pre-builds every 16-bit number as its own Buffer
 * (65,536 of them, about 6 MiB): off, as the services' clients have it (the copy Aedes itself
 * resolves, so it is the one it writes with).
 */
function noNumberCache(): void {
  const packets = createRequire(createRequire(import.meta.url).resolve('aedes'))('mqtt-packet') as { writeToStream: { cacheNumbers: boolean } };
  packets.writeToStream.cacheNumbers = false;
}

export async function startBrokerServer(options: BrokerServerOptions): Promise<BrokerServer> {
  const { config, log, metrics } = options;
  noNumberCache();
  const access = new BusAccess({
    mode: options.access,
    baseTopic: options.baseTopic,
    log,
    metrics,
    loginFreeFailures: config.loginFreeFailures,
    loginMaxBlockMs: config.loginMaxBlockMs,
    ...(options.nowMs !== undefined ? { nowMs: options.nowMs } : {}),
  });
  // Any packet over the bound before the login is through (a CONNECT, or a PUBLISH sent before or right behind it).
  const rejectedConnect = metrics.counter('clients.rejectedConnectTooLarge');
  const rejectedTopic = metrics.counter('clients.rejectedTopic');
  const rejectedOrigin = metrics.counter('clients.rejectedOrigin');
  const rejectedTooLarge = metrics.counter('publishes.rejectedTooLarge');
  const clientErrors = metrics.counter('clients.errors');
  const publishes = metrics.counter('publishes.received');
  const retainCleared = metrics.counter('publishes.retainCleared');
  const retainLog = new RateLimitedLog(log);
  // What clients cause (before their login, too) is logged once per kind per 10 s, and counted every time.
  const refusals = new RateLimitedLog(log);
  const retained = new RetainedPolicy(config.maxRetainedTopics);

  const aedes = await Aedes.createBroker({
    id: 'voxbus',
    drainTimeout: config.drainTimeoutMs,
    maxTopicLevels: config.maxTopicLevels,
    maxClientsIdLength: config.maxClientIdLength,
    authenticate: (client, username, password, done) => access.authenticate(client, username, password, done),
    authorizePublish(client, packet, done) {
      // Aedes has no payload limit of its own. MQTT 3.1.1 cannot refuse a QoS 0 PUBLISH, so an
      // oversize one disconnects its sender.
      if (client && packet.payload.length > config.maxPayloadBytes) {
        rejectedTooLarge.inc();
        refusals.warn('publish too large', { clientId: client.id, topic: packet.topic, bytes: packet.payload.length, maxPayloadBytes: config.maxPayloadBytes }, 'publish over the size limit: client disconnected');
        return done(new Error(`payload of ${packet.payload.length} bytes is over the ${config.maxPayloadBytes}-byte limit`));
      }
      if (client) {
        const problem = topicProblem(packet.topic);
        if (problem !== undefined) {
          rejectedTopic.inc();
          refusals.warn('publish topic', { clientId: client.id }, `publish refused: ${problem}: client disconnected`);
          return done(new Error(problem));
        }
        if (!access.grantOf(client).canPublish(packet.topic)) {
          access.deniedPublish(client, packet.topic);
          return done(new Error(`not allowed to publish on ${packet.topic}`));
        }
      }
      const notKept = client && packet.retain ? retained.judge(packet.topic, packet.payload.length) : undefined;
      if (client && notKept !== undefined) {
        packet.retain = false;
        retainCleared.inc();
        retainLog.warn(notKept.slice(0, 24), { clientId: client.id, topic: packet.topic }, notKept);
      }
      if (client) publishes.inc();
      return done(null);
    },
    authorizeSubscribe(client, subscription, done) {
      const problem = topicProblem(subscription.topic);
      if (problem !== undefined) {
        rejectedTopic.inc();
        refusals.warn('subscription topic', { clientId: client.id }, `subscription refused: ${problem}: client disconnected`);
        return done(new Error(problem));
      }
      if (!access.grantOf(client).canSubscribe(subscription.topic)) {
        access.deniedSubscribe(client, subscription.topic);
        // MQTT 3.1.1 §3.9.3: granted 0x80, the client stays connected.
        return done(null, null);
      }
      return done(null, subscription);
    },
    // Asked per delivery: only monitors without `hearAudio` are ever told no (the microphone's topics).
    ...(access.enforcing ? { authorizeForward: (client, packet) => (access.grantOf(client).canReceive(packet.topic) ? packet : null) } : {}),
  });
  const limits = { connectMaxBytes: config.connectMaxBytes, packetMaxBytes: config.maxPayloadBytes + PUBLISH_OVERHEAD_BYTES };
  const handle = (stream: Duplex, request?: IncomingMessage): void => {
    const client = aedes.handle(stream, request);
    guardPacketLengths(client, limits, (cmd, bytes, beforeLogin) => {
      if (beforeLogin) rejectedConnect.inc();
      else rejectedTooLarge.inc();
      refusals.warn('packet too large', { cmd, bytes, beforeLogin, limitBytes: beforeLogin ? limits.connectMaxBytes : limits.packetMaxBytes }, 'packet over the size limit refused before it was read: client disconnected');
    });
  };
  aedes.on('clientError', (client, error) => {
    clientErrors.inc();
    log.debug({ clientId: client.id, err: error.message }, 'client error');
  });
  aedes.on('connectionError', (client, error) => {
    clientErrors.inc();
    log.debug({ clientId: client.id, err: error.message }, 'connection error');
  });
  metrics.gauge('clients.connected', () => aedes.connectedClients);

  const hosts = boardHosts(config.host);
  const listeners = new Listeners({
    host: config.host,
    wsPath: config.wsPath,
    maxWsPayloadBytes: config.maxPayloadBytes + PUBLISH_OVERHEAD_BYTES,
    handle,
    verifyUpgrade: (request) => {
      if (originAllowed(request.headers.origin, config.allowedOrigins, hosts)) return true;
      rejectedOrigin.inc();
      refusals.warn('origin', { origin: request.headers.origin }, 'WebSocket refused: a page from this origin may not use the bus (broker.allowedOrigins)');
      return false;
    },
    page: monitorPage({ wsPath: config.wsPath, baseTopic: options.baseTopic, loginRequired: options.access.kind !== 'open' }),
    onWsError: (message) => log.debug({ err: message }, 'websocket stream error'),
  });
  const tcpPort = (await listeners.mqtt(config.tcpPort)).port;
  const wsPort = (await listeners.webSocket(config.wsPort)).port;
  // With a certificate, MQTT over TLS and WebSocket over TLS as well, for clients beyond the board.
  const tlsPort = options.tls ? (await listeners.mqtt(config.tlsPort, options.tls)).port : undefined;
  const tlsWsPort = options.tls ? (await listeners.webSocket(config.tlsWsPort, options.tls)).port : undefined;
  log.info({ host: config.host, tcpPort, wsPort, tlsPort, tlsWsPort, wsPath: config.wsPath, access: options.access.kind }, 'broker listening');

  // Aedes keeps its clients in a plain map, not in its typings.
  const clients = (): { will?: { topic: string } | null }[] =>
    Object.values((aedes as unknown as { clients: Record<string, { will?: { topic: string } | null }> }).clients);
  const servicesConnected = (): number =>
    clients().filter((client) => client.will && filterMatches(options.statusFilter, client.will.topic)).length;

  return {
    tcpPort,
    wsPort,
    tlsPort,
    tlsWsPort,
    connectedClients: () => aedes.connectedClients,
    local: localBroker(aedes),
    async close() {
      // Services stopping at the same time (Ctrl-C, compose down) publish `offline` on their way
      // out: keep routing until they have left, for at most shutdownGraceMs.
      const deadline = Date.now() + config.shutdownGraceMs;
      while (servicesConnected() > 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 25));
      if (servicesConnected() > 0) log.warn({ services: servicesConnected() }, 'closing with services still connected');
      await listeners.closeAll();
      await new Promise<void>((resolve) => aedes.close(() => resolve()));
    },
  };
}
