import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { MetricsRegistry } from '@voxbus/shared';
import { type BrokerServer, startBrokerServer } from '../../services/broker/src/broker-server.js';
import { BROKER_DEFAULTS, type BrokerConfig } from '../../services/broker/src/config.js';
import type { Credentials } from '../../services/broker/src/auth.js';
import { freePort, waitForPort } from './ports.js';

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
  credentials?: Credentials,
): Promise<AedesTestBroker> {
  const metrics = new MetricsRegistry();
  const server = await startBrokerServer({
    config: { ...BROKER_DEFAULTS, tcpPort: 0, wsPort: 0, shutdownGraceMs: 0, ...overrides },
    credentials,
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

/** Debian's Mosquitto on a free port, for interoperability. */
export async function startMosquitto(port?: number): Promise<TestBroker> {
  const chosen = port ?? (await freePort());
  const dir = mkdtempSync(join(tmpdir(), 'voxbus-mosquitto-'));
  const configPath = join(dir, 'mosquitto.conf');
  writeFileSync(configPath, `listener ${chosen} 127.0.0.1\nallow_anonymous true\npersistence false\nset_tcp_nodelay true\n`);
  const child: ChildProcess = spawn('mosquitto', ['-c', configPath], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<never>((_, reject) =>
    child.once('exit', (code) => reject(new Error(`mosquitto exited with ${code}: ${stderr}`))),
  );
  await Promise.race([waitForPort(chosen), exited]);
  return {
    name: 'mosquitto',
    port: chosen,
    url: `mqtt://127.0.0.1:${chosen}`,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.removeAllListeners('exit');
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}
