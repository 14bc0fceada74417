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
  async prepare({ config, common, log, metrics }) {
    // Its own login only (its own clients connect in plain MQTT on the board: no CA to read).
    const access = accessModeFor(config.host, config.usersFile, { username: common.bus.username, password: busPassword(common.bus) }, log);
    const { baseTopic } = common.bus;
    const statusFilter = `${baseTopic}/+/status`;
    if ((config.tlsCertFile === undefined) !== (config.tlsKeyFile === undefined)) throw new ConfigError('broker.tlsCertFile and broker.tlsKeyFile go together');
    const tls =
      config.tlsCertFile !== undefined && config.tlsKeyFile !== undefined
        ? { cert: readSettingFile(config.tlsCertFile, 'TLS certificate (broker.tlsCertFile)'), key: readSettingFile(config.tlsKeyFile, 'TLS key (broker.tlsKeyFile)') }
        : undefined;
    const server = await startBrokerServer({ config, access, tls, baseTopic, version, log: log.child({ module: 'aedes' }), metrics, statusFilter });
    // The broker's own status and metrics go through its own TCP port, like any client's.
    const host = config.host === '0.0.0.0' || config.host === '::' ? '127.0.0.1' : config.host;
    return { busUrl: `mqtt://${host.includes(':') ? `[${host}]` : host}:${server.tcpPort}`, stop: () => server.close() };
  },
  async start() {
    // Everything runs from prepare: the broker has no bus subscriptions of its own.
  },
});
