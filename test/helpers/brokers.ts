import pino from 'pino';
import { MetricsRegistry } from '@voxbus/shared';
import { startMosquitto as startSharedMosquitto } from '@voxbus/shared/testing';
import { type AccessMode, BROKER_DEFAULTS, type BrokerConfig, type BrokerServer, type Credentials, startBrokerServer } from '@voxbus/broker/lib';

export interface TestBroker {
  readonly name: 'aedes' | 'mosquitto';
  readonly url: string;
  readonly port: number;
  stop(): Promise<void>;
}

export interface AedesTestBroker extends TestBroker {
  readonly server: BrokerServer;
  readonly metrics: MetricsRegistry;
  readonly wsUrl: string;
}

/** The project's Aedes broker in this process, on ephemeral ports. */
export async function startAedes(
  overrides: Partial<BrokerConfig> = {},
  access?: Credentials | AccessMode,
  tls?: { cert: string; key: string },
  /** The clock failed logins are throttled by. */
  nowMs?: () => number,
): Promise<AedesTestBroker> {
  const metrics = new MetricsRegistry();
  const server = await startBrokerServer({
    config: { ...BROKER_DEFAULTS, tcpPort: 0, wsPort: 0, tlsPort: 0, tlsWsPort: 0, shutdownGraceMs: 0, ...overrides },
    tls,
    ...(nowMs !== undefined ? { nowMs } : {}),
    access: access === undefined ? { kind: 'open' } : 'kind' in access ? access : { kind: 'shared', credentials: access },
    baseTopic: 'voxbus',
    version: 'test',
    log: pino({ level: 'silent' }),
    metrics,
    statusFilter: 'voxbus/+/status',
  });
  return {
    name: 'aedes',
    server,
    metrics,
    port: server.tcpPort,
    url: `mqtt://127.0.0.1:${server.tcpPort}`,
    wsUrl: `ws://127.0.0.1:${server.wsPort}${overrides.wsPath ?? BROKER_DEFAULTS.wsPath}`,
    stop: () => server.close(),
  };
}

/** Debian's Mosquitto on a free port (or the one given), for interoperability. */
export async function startMosquitto(port?: number): Promise<TestBroker> {
  const mosquitto = await startSharedMosquitto(port);
  return { name: 'mosquitto', port: mosquitto.port, url: mosquitto.url, stop: () => mosquitto.stop() };
}
