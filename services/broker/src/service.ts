import { busPassword, ConfigError, defineService, packageVersion, readSettingFile } from '@voxbus/shared';
import { accessModeFor } from './auth.js';
import { startBrokerServer } from './broker-server.js';
import { BROKER_DEFAULTS, BrokerConfigSchema } from './config.js';

const version = packageVersion(import.meta.url);

/** The broker service's definition: run alone by main.ts, or with others in one process (all-in-one). */
export const service = defineService({
  name: 'broker',
  version,
  configSchema: BrokerConfigSchema,
  configDefaults: BROKER_DEFAULTS,
  // No --optimize-for-size here (node-options.ts): it makes V8 keep the broker's hot code less
  // optimised, and every audio frame passes through it. Instrumented runs measured ~30 µs more
  // per routed PUBLISH once warm (read to write p50 ~270 against ~240 µs), more before the code
  // settles; bench:bus (now also started past the broker's first metrics) had its one Aedes hop at
  // 2.15× the bare-TCP floor at p50 before, 1.6-1.9× since.
  // It costs memory: 40.8 MiB PSS after bench:bus against 36.7 with the flag (docs/benchmarks.md).
  optimizeForSize: false,
  async prepare({ config, common, log, metrics }) {
    // The shared login on loopback (services in other processes connect in plain MQTT on the board: no CA to read).
    const access = accessModeFor(config.host, config.usersFile, { username: common.bus.username, password: busPassword(common.bus) }, log);
    const { baseTopic } = common.bus;
    const statusFilter = `${baseTopic}/+/status`;
    if ((config.tlsCertFile === undefined) !== (config.tlsKeyFile === undefined)) throw new ConfigError('broker.tlsCertFile and broker.tlsKeyFile go together');
    const tls =
      config.tlsCertFile !== undefined && config.tlsKeyFile !== undefined
        ? { cert: readSettingFile(config.tlsCertFile, 'TLS certificate (broker.tlsCertFile)'), key: readSettingFile(config.tlsKeyFile, 'TLS key (broker.tlsKeyFile)') }
        : undefined;
    const server = await startBrokerServer({ config, access, tls, baseTopic, version, log: log.child({ module: 'aedes' }), metrics, statusFilter });
    // The services in this process (the broker's own status and metrics; all of them in
    // all-in-one mode) reach it without a socket; `busUrl` is where the others connect.
    const host = config.host === '0.0.0.0' || config.host === '::' ? '127.0.0.1' : config.host;
    return { busUrl: `mqtt://${host.includes(':') ? `[${host}]` : host}:${server.tcpPort}`, localBroker: server.local, stop: () => server.close() };
  },
  async start() {
    // Everything runs from prepare: the broker has no bus subscriptions of its own.
  },
});
