import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Static, TObject } from '@sinclair/typebox';
import type { Bus } from '../bus/bus.js';
import { type LocalBroker, LocalBus } from '../bus/local-bus.js';
import { MqttBus } from '../bus/mqtt-bus.js';
import { ConfigError, errorMessage } from '../errors.js';
import { type Clock, systemClock } from './clock.js';
import type { CommonConfig } from './common-config.js';
import { busLogin, type LoadedConfig, loadConfig } from './config.js';
import { serveDescribe } from './describe.js';
import { startHealthFile } from './health-file.js';
import { startHeapUpkeep } from './heap-upkeep.js';
import { watchParent } from './parent-watch.js';
import { notifyReadyWhenConnected } from './ready-fd.js';
import { createLogger, type Logger } from './logger.js';
import { MetricsRegistry } from './metrics.js';
import { serviceV8RuntimeFlags, tuneV8ForService } from './node-options.js';
import { startMetricsPublisher } from './metrics-publisher.js';
import { redactSecrets, secretPaths } from './redact.js';

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
  /** A broker in this process: the services in it (this one and those started after) reach it without a socket. */
  readonly localBroker?: LocalBroker;
}

export interface ServiceDefinition<S extends TObject> {
  readonly name: string;
  readonly version: string;
  readonly configSchema: S;
  readonly configDefaults: Static<S>;
  /**
   * The login it uses when not its own name: a stand-in for another service (the telephony
   * bridge's audio-capture and playback) logs in as the service hosting it, whose grant covers it.
   */
  readonly login?: string;
  /**
   * V8's `--optimize-for-size` in its process (node-options.ts says why it is there); on unless
   * false. A process of several services (all-in-one) keeps it if any of them wants it.
   */
  readonly optimizeForSize?: boolean;
  /** Runs before the bus connects (the broker starts listening here, so the bus finds it). */
  prepare?(context: ServiceContext<S>): Promise<PreparedUnit | void>;
  start(context: ConnectedServiceContext<S>): Promise<ServiceUnit | void>;
}

/** The `version` of the package.json one level above the calling module's folder (dist/ → package). */
export function packageVersion(moduleUrl: string): string {
  const path = join(dirname(fileURLToPath(moduleUrl)), '..', 'package.json');
  return (JSON.parse(readFileSync(path, 'utf8')) as { version: string }).version;
}

/** A service's definition whatever its config: what a host of several services holds. */
export type AnyServiceDefinition = ServiceDefinition<TObject>;

/** Gives a service's definition its type (the config schema's), for a module that exports it. */
export function defineService<S extends TObject>(definition: ServiceDefinition<S>): ServiceDefinition<S> {
  return definition;
}

/**
 * Runs a service process: config, logger, bus (status with Last Will), `describe`, periodic
 * metrics, the service's own units, and a graceful stop on SIGTERM/SIGINT (units stopped in
 * reverse order, `offline` published, exit 0). A stop slower than `shutdownTimeoutMs` exits 1.
 */
export async function runService<S extends TObject>(definition: ServiceDefinition<S>): Promise<void> {
  await runServices([definition as unknown as AnyServiceDefinition]);
}

/** One service of the process: what it needs to be stopped. */
interface Running {
  readonly log: Logger;
  readonly abort: AbortController;
  readonly units: ServiceUnit[];
  readonly preparedUnits: ServiceUnit[];
  bus: MqttBus | LocalBus | undefined;
  readonly shutdownTimeoutMs: number;
}

/**
 * Runs several services in this one process (all-in-one mode, for the smallest boards), each
 * exactly as `runService` runs it alone: its own config section, logger, metrics and bus (so
 * the broker, outside subscribers and the contract see the same services), started in the
 * order given. A broker among them is what the ones after it use: through its `localBroker`,
 * without a socket (local-bus.ts says what that saves), else at the `busUrl` it listens on.
 * Stopped in reverse; a bug in any stops them all (exit 70) for the supervisor to restart a
 * clean process.
 */
/** The service's configuration, or a fatal log line and exit 78 (a restart cannot fix it). */
function loadOrExit(definition: AnyServiceDefinition): ReturnType<typeof loadConfig> {
  try {
    return loadConfig({ service: definition.name, schema: definition.configSchema, defaults: definition.configDefaults, ...(definition.login === undefined ? {} : { login: definition.login }) });
  } catch (error) {
    const log = createLogger(definition.name, 'info');
    log.fatal({ err: errorMessage(error) }, error instanceof ConfigError ? 'configuration error' : 'cannot load the configuration');
    return process.exit(EXIT_CONFIG);
  }
}

export async function runServices(definitions: readonly AnyServiceDefinition[]): Promise<void> {
  tuneV8ForService(serviceV8RuntimeFlags(definitions));
  const startedAt = new Date().toISOString();
  const loaded = definitions.map((definition) => loadOrExit(definition));
  const running: Running[] = [];
  let stopping = false;

  const stop = async (code: number, why: string): Promise<never> => {
    const say = (message: string, fields: Record<string, unknown> = {}) => {
      for (const service of running) service.log.info({ ...fields, why }, message);
    };
    // Ctrl-C reaches a child of the runner twice (from the terminal and forwarded); the stop
    // timeout below, not a second signal, is what bounds a stuck stop.
    if (stopping) {
      say('already stopping');
      return new Promise<never>(() => {});
    }
    stopping = true;
    say('stopping');
    const timeoutMs = Math.max(...running.map((service) => service.shutdownTimeoutMs), 1000);
    const timer = setTimeout(() => {
      for (const service of running) service.log.error({ timeoutMs }, 'stop timed out: exiting');
      process.exit(EXIT_FAILURE);
    }, timeoutMs);
    timer.unref();
    for (const service of running) service.abort.abort();
    const stopAll = async (log: Logger, list: ServiceUnit[]): Promise<void> => {
      for (const unit of list.reverse()) {
        try {
          await unit.stop();
        } catch (error) {
          log.error({ err: errorMessage(error) }, 'a unit failed to stop');
        }
      }
    };
    // Started units, then the bus (so `offline` still reaches the broker), service by service
    // from the last started; then prepared units (the broker itself) the same way.
    for (const service of [...running].reverse()) {
      await stopAll(service.log, service.units);
      await service.bus?.close(Math.min(2000, service.shutdownTimeoutMs));
    }
    for (const service of [...running].reverse()) await stopAll(service.log, service.preparedUnits);
    for (const service of running) {
      service.log.info('stopped');
      service.log.flush();
    }
    process.exit(code);
  };

  process.on('SIGTERM', () => void stop(EXIT_OK, 'SIGTERM'));
  // Started by a run command, a test or a benchmark: stop with it, even if it was killed outright.
  const parentPid = (loaded[0] as LoadedConfig<TObject>).common.exitWithPid;
  if (parentPid !== undefined) watchParent(parentPid, () => void stop(EXIT_OK, `the process that started it (pid ${parentPid}) is gone`));
  process.on('SIGINT', () => void stop(EXIT_OK, 'SIGINT'));
  // A bug we did not foresee: say so loudly and exit, so the supervisor restarts a clean process
  // (the Last Will marks it offline meanwhile).
  const fatal = (fields: Record<string, unknown>, message: string) => {
    for (const service of running) service.log.fatal(fields, message);
    if (running.length === 0) createLogger(definitions[0]?.name ?? 'voxbus', 'info').fatal(fields, message);
  };
  process.on('uncaughtException', (error) => {
    fatal({ err: errorMessage(error), stack: error.stack }, 'uncaught exception');
    void stop(EXIT_SOFTWARE, 'uncaught exception');
  });
  process.on('unhandledRejection', (reason) => {
    fatal({ err: errorMessage(reason) }, 'unhandled promise rejection');
    void stop(EXIT_SOFTWARE, 'unhandled rejection');
  });

  let busUrlOverride: string | undefined;
  let localBroker: LocalBroker | undefined;
  for (const [index, definition] of definitions.entries()) {
    const { common, own } = loaded[index] as LoadedConfig<TObject>;
    const log = createLogger(definition.name, common.log.level, [...secretPaths(definition.configSchema, 'config')]);
    const service: Running = { log, abort: new AbortController(), units: [], preparedUnits: [], bus: undefined, shutdownTimeoutMs: common.shutdownTimeoutMs };
    running.push(service);
    const metrics = new MetricsRegistry();
    const context: ServiceContext<TObject> = {
      service: definition.name,
      version: definition.version,
      config: own,
      common,
      log,
      clock: systemClock,
      metrics,
      signal: service.abort.signal,
    };
    try {
      // Secret fields are redacted by the logger; a login inside a URL setting is taken out here.
      log.info({ version: definition.version, config: redactSecrets(definition.configSchema, own) }, 'starting');
      const prepared = await definition.prepare?.(context);
      if (prepared) service.preparedUnits.push(prepared);
      busUrlOverride = prepared?.busUrl ?? busUrlOverride;
      localBroker = prepared?.localBroker ?? localBroker;
      const status = { service: definition.name, version: definition.version, startedAt, pid: process.pid, host: hostname() };
      service.bus = localBroker
        ? new LocalBus({ broker: localBroker, baseTopic: common.bus.baseTopic, maxPayloadBytes: common.bus.maxPayloadBytes, log: log.child({ module: 'bus' }), status })
        : new MqttBus({
            url: busUrlOverride ?? common.bus.url,
            ...busLogin(common.bus),
            baseTopic: common.bus.baseTopic,
            keepaliveS: common.bus.keepaliveS,
            maxPayloadBytes: common.bus.maxPayloadBytes,
            clientId: `${definition.login === undefined ? '' : `${definition.login}-`}${definition.name}-${randomBytes(4).toString('hex')}`,
            log: log.child({ module: 'bus' }),
            status,
          });
      const connected = { ...context, bus: service.bus };
      service.units.push(serveDescribe(connected, definition.configSchema, startedAt));
      service.units.push(startMetricsPublisher(connected));
      service.bus.connect();
      const started = await definition.start(connected);
      if (started) service.units.push(started);
      log.info('started');
    } catch (error) {
      log.fatal({ err: errorMessage(error) }, 'start failed');
      await stop(error instanceof ConfigError ? EXIT_CONFIG : EXIT_FAILURE, 'start failed');
    }
  }
  const healthFile = (loaded[0] as LoadedConfig<TObject>).common.healthFile;
  const first = running[0];
  if (first !== undefined) {
    // One for the process: a full collection when its heap has grown (heap-upkeep.ts says why).
    const upkeep = startHeapUpkeep(systemClock, first.log);
    first.units.push({ stop: () => upkeep.cancel() });
  }
  const readyFd = (loaded[0] as LoadedConfig<TObject>).common.readyFd;
  if (readyFd !== undefined && first !== undefined) {
    // The run command starts the next services when this one is connected (ready-fd.ts).
    notifyReadyWhenConnected(
      readyFd,
      running.flatMap((service) => (service.bus === undefined ? [] : [service.bus])),
      first.log,
    );
  }
  if (healthFile !== undefined && first !== undefined) {
    // One file for the process: healthy when every service in it is connected.
    first.preparedUnits.unshift(
      startHealthFile({
        path: healthFile,
        intervalMs: HEALTH_FILE_INTERVAL_MS,
        clock: systemClock,
        connected: () => running.map((service, index) => [(definitions[index] as AnyServiceDefinition).name, service.bus?.connected ?? false] as const),
      }),
    );
  }
}

/** How often the health file is rewritten: a check allows a few missed writes (compose: 30 s). */
const HEALTH_FILE_INTERVAL_MS = 5000;
