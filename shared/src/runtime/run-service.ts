import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Static, TObject } from '@sinclair/typebox';
import type { Bus } from '../bus/bus.js';
import { MqttBus } from '../bus/mqtt-bus.js';
import { ConfigError, errorMessage } from '../errors.js';
import { type Clock, systemClock } from './clock.js';
import type { CommonConfig } from './common-config.js';
import { loadConfig } from './config.js';
import { serveDescribe } from './describe.js';
import { createLogger, type Logger } from './logger.js';
import { MetricsRegistry } from './metrics.js';
import { startMetricsPublisher } from './metrics-publisher.js';
import { secretPaths } from './redact.js';

/** Exit codes (sysexits.h), so a supervisor can tell a config mistake from a crash. */
export const EXIT_OK = 0;
export const EXIT_FAILURE = 1;
export const EXIT_SOFTWARE = 70;
export const EXIT_CONFIG = 78;

export interface ServiceContext<S extends TObject> {
  readonly service: string;
  readonly version: string;
  /** This service's validated, frozen config section. */
  readonly config: Readonly<Static<S>>;
  readonly common: Readonly<CommonConfig>;
  readonly log: Logger;
  readonly clock: Clock;
  readonly metrics: MetricsRegistry;
  /** Aborted when the service starts stopping: cancels a slow startup. */
  readonly signal: AbortSignal;
}

export interface ConnectedServiceContext<S extends TObject> extends ServiceContext<S> {
  readonly bus: Bus;
}

/** What start (or prepare) acquired; `stop` releases all of it. */
export interface ServiceUnit {
  stop(): Promise<void> | void;
}

export interface PreparedUnit extends ServiceUnit {
  /** Overrides `bus.url` for this process (the broker connects to the port it actually bound). */
  readonly busUrl?: string;
}

export interface ServiceDefinition<S extends TObject> {
  readonly name: string;
  readonly version: string;
  readonly configSchema: S;
  readonly configDefaults: Static<S>;
  /** Runs before the bus connects (the broker starts listening here, so the bus finds it). */
  prepare?(context: ServiceContext<S>): Promise<PreparedUnit | void>;
  start(context: ConnectedServiceContext<S>): Promise<ServiceUnit | void>;
}

/** The `version` of the package.json one level above the calling module's folder (dist/ → package). */
export function packageVersion(moduleUrl: string): string {
  const path = join(dirname(fileURLToPath(moduleUrl)), '..', 'package.json');
  return (JSON.parse(readFileSync(path, 'utf8')) as { version: string }).version;
}

/**
 * Runs a service process: config, logger, bus (status with Last Will), `describe`, periodic
 * metrics, the service's own units, and a graceful stop on SIGTERM/SIGINT (units stopped in
 * reverse order, `offline` published, exit 0). A stop slower than `shutdownTimeoutMs` exits 1.
 */
export async function runService<S extends TObject>(definition: ServiceDefinition<S>): Promise<void> {
  const startedAt = new Date().toISOString();
  let loaded;
  try {
    loaded = loadConfig({ service: definition.name, schema: definition.configSchema, defaults: definition.configDefaults });
  } catch (error) {
    const log = createLogger(definition.name, 'info');
    log.fatal({ err: errorMessage(error) }, error instanceof ConfigError ? 'configuration error' : 'cannot load the configuration');
    process.exit(EXIT_CONFIG);
  }
  const { common, own } = loaded;
  const log = createLogger(definition.name, common.log.level, [
    ...secretPaths(definition.configSchema, 'config'),
  ]);
  const abort = new AbortController();
  const metrics = new MetricsRegistry();
  const context: ServiceContext<S> = {
    service: definition.name,
    version: definition.version,
    config: own,
    common,
    log,
    clock: systemClock,
    metrics,
    signal: abort.signal,
  };
  // Stopped in reverse: started units, then the bus (so `offline` still reaches the broker),
  // then prepared units (the broker itself).
  const preparedUnits: ServiceUnit[] = [];
  const units: ServiceUnit[] = [];
  let bus: MqttBus | undefined;
  let stopping = false;

  const stop = async (code: number, why: string): Promise<never> => {
    // Ctrl-C reaches a child of the runner twice (from the terminal and forwarded); the stop
    // timeout below, not a second signal, is what bounds a stuck stop.
    if (stopping) {
      log.info({ why }, 'already stopping');
      return new Promise<never>(() => {});
    }
    stopping = true;
    log.info({ why }, 'stopping');
    abort.abort();
    const timer = setTimeout(() => {
      log.error({ timeoutMs: common.shutdownTimeoutMs }, 'stop timed out: exiting');
      process.exit(EXIT_FAILURE);
    }, common.shutdownTimeoutMs);
    timer.unref();
    const stopAll = async (list: ServiceUnit[]): Promise<void> => {
      for (const unit of list.reverse()) {
        try {
          await unit.stop();
        } catch (error) {
          log.error({ err: errorMessage(error) }, 'a unit failed to stop');
        }
      }
    };
    await stopAll(units);
    await bus?.close(Math.min(2000, common.shutdownTimeoutMs));
    await stopAll(preparedUnits);
    log.info('stopped');
    log.flush();
    process.exit(code);
  };

  process.on('SIGTERM', () => void stop(EXIT_OK, 'SIGTERM'));
  process.on('SIGINT', () => void stop(EXIT_OK, 'SIGINT'));
  // A bug we did not foresee: say so loudly and exit, so the supervisor restarts a clean process
  // (the Last Will marks it offline meanwhile).
  process.on('uncaughtException', (error) => {
    log.fatal({ err: errorMessage(error), stack: error.stack }, 'uncaught exception');
    void stop(EXIT_SOFTWARE, 'uncaught exception');
  });
  process.on('unhandledRejection', (reason) => {
    log.fatal({ err: errorMessage(reason) }, 'unhandled promise rejection');
    void stop(EXIT_SOFTWARE, 'unhandled rejection');
  });

  try {
    log.info({ version: definition.version, config: own }, 'starting');
    const prepared = await definition.prepare?.(context);
    if (prepared) preparedUnits.push(prepared);
    bus = new MqttBus({
      url: prepared?.busUrl ?? common.bus.url,
      username: common.bus.username,
      password: common.bus.password,
      baseTopic: common.bus.baseTopic,
      keepaliveS: common.bus.keepaliveS,
      maxPayloadBytes: common.bus.maxPayloadBytes,
      clientId: `${definition.name}-${randomBytes(4).toString('hex')}`,
      log: log.child({ module: 'bus' }),
      status: { service: definition.name, version: definition.version, startedAt, pid: process.pid, host: hostname() },
    });
    const connected = { ...context, bus };
    units.push(serveDescribe(connected, definition.configSchema, startedAt));
    units.push(startMetricsPublisher(connected));
    bus.connect();
    const started = await definition.start(connected);
    if (started) units.push(started);
    log.info('started');
  } catch (error) {
    log.fatal({ err: errorMessage(error) }, 'start failed');
    await stop(error instanceof ConfigError ? EXIT_CONFIG : EXIT_FAILURE, 'start failed');
  }
}
