export * from './errors.js';
export * from './audio/sample-format.js';
export * from './audio/frame-codec.js';
export * from './audio/to-s16.js';
export * from './contract/contract.js';
export * from './contract/schemas.js';
export * from './contract/topic-spec.js';
export * from './contract/topic-path.js';
export * from './contract/message-codec.js';
export { schemaErrors, StringEnum } from './contract/validate.js';
export { renderContractDoc } from './contract/render-doc.js';
export * from './bus/bus.js';
export { BoundedQueue } from './bus/bounded-queue.js';
export { RateLimitedLog } from './bus/rate-limited-log.js';
export { BusCore, type BusCoreOptions, type SendOptions } from './bus/bus-core.js';
export { MqttBus, type MqttBusOptions, type StatusIdentity, redactUrl } from './bus/mqtt-bus.js';
export * from './runtime/clock.js';
export * from './runtime/common-config.js';
export * from './runtime/config.js';
export * from './runtime/logger.js';
export * from './runtime/metrics.js';
export * from './runtime/node-options.js';
export * from './runtime/process-stats.js';
export * from './runtime/redact.js';
export * from './runtime/process-tree.js';
export * from './runtime/run-service.js';
// Types only: the validators themselves are @voxbus/shared/realtime, so that services which never
// validate a realtime event do not carry (and parse) 0.8 MB of generated validation code.
export type { EventSide, RealtimeDialect } from './realtime/realtime-schemas.js';
