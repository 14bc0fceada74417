// The broker in-process, for tests elsewhere that need a real Aedes without a process of its own:
// `@voxbus/broker/lib`.
export type { Credentials } from './auth.js';
export { type BrokerServer, type BrokerServerOptions, startBrokerServer } from './broker-server.js';
export { BROKER_DEFAULTS, type BrokerConfig } from './config.js';
export type { AccessMode } from './bus-access.js';
export { hashPassword } from './password-hash.js';
export type { BusUser } from './users-file.js';
export { DEFAULT_LOGINS, type Login, makeCredentials } from './credentials.js';
