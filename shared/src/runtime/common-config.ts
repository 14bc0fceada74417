import { type Static, Type } from '@sinclair/typebox';
import { DEFAULT_BASE_TOPIC } from '../contract/contract.js';
import { DEFAULT_MAX_PAYLOAD_BYTES } from '../contract/message-codec.js';
import { StringEnum } from '../contract/validate.js';
import { LOG_LEVELS } from './logger.js';

/** The version of the configuration format this build reads. */
export const CONFIG_VERSION = 1;

/** Configuration every service shares; each service adds a section under its own name. */
export const CommonConfigSchema = Type.Object(
  {
    configVersion: Type.Literal(CONFIG_VERSION, { description: 'format version of this configuration' }),
    bus: Type.Object(
      {
        url: Type.String({ description: '`mqtt://host:port` or `ws://host:port/path`', minLength: 1 }),
        username: Type.Optional(Type.String({ description: '`{service}` stands for the service\'s name (one login each, as the broker\'s users file has them)' })),
        password: Type.Optional(Type.String({ secret: true })),
        passwordFile: Type.Optional(
          Type.String({ minLength: 1, description: 'a file holding the password (one line), instead of `password`: each service its own, readable only by it (`{service}` stands for its name)' }),
        ),
        caFile: Type.Optional(Type.String({ minLength: 1, description: 'PEM certificates to trust for an `mqtts://` or `wss://` bus URL (a self-signed broker\'s)' })),
        baseTopic: Type.String({ minLength: 1, description: 'first level(s) of every topic' }),
        keepaliveS: Type.Integer({ minimum: 1, maximum: 600, description: 'MQTT keepalive; a hung process goes `offline` within 1.5× this' }),
        maxPayloadBytes: Type.Integer({ minimum: 1024, maximum: 16 * 1024 * 1024, description: 'the largest payload sent or accepted (the project\'s broker disconnects a client that publishes a larger one)' }),
      },
      { additionalProperties: false },
    ),
    log: Type.Object(
      { level: StringEnum(LOG_LEVELS, { description: 'the least severe log line written (JSON lines on stdout)' }) },
      { additionalProperties: false },
    ),
    metricsIntervalMs: Type.Integer({ minimum: 500, description: 'period of `voxbus/<service>/metrics`' }),
    shutdownTimeoutMs: Type.Integer({ minimum: 100, description: 'a stop that takes longer exits with code 1' }),
    exitWithPid: Type.Optional(
      Type.Integer({
        minimum: 2,
        description: 'stop when this process is gone (the run command, a test or a benchmark sets it to its own pid: nothing outlives it, even killed with SIGKILL)',
      }),
    ),
    readyFd: Type.Optional(
      Type.Integer({
        minimum: 3,
        description: 'a file descriptor to write `ready` to (then close) once the process is connected to the broker (the run command sets it, to start services a few at a time)',
      }),
    ),
    healthFile: Type.Optional(
      Type.String({
        minLength: 1,
        description: 'a file rewritten every 5 s: `online …` while the bus is connected (a container health check reads it for nearly nothing)',
      }),
    ),
  },
  { additionalProperties: false },
);

export type CommonConfig = Static<typeof CommonConfigSchema>;

export const COMMON_DEFAULTS: CommonConfig = {
  configVersion: CONFIG_VERSION,
  bus: {
    url: 'mqtt://127.0.0.1:1883',
    baseTopic: DEFAULT_BASE_TOPIC,
    keepaliveS: 10,
    maxPayloadBytes: DEFAULT_MAX_PAYLOAD_BYTES,
  },
  log: { level: 'info' },
  metricsIntervalMs: 10_000,
  shutdownTimeoutMs: 5_000,
};
