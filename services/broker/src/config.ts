import { type Static, Type } from '@sinclair/typebox';

export const BrokerConfigSchema = Type.Object(
  {
    host: Type.String({ minLength: 1, description: 'address to listen on; anything but loopback requires bus.username and bus.password' }),
    tcpPort: Type.Integer({ minimum: 0, maximum: 65535, description: 'MQTT over TCP (0 = any free port)' }),
    wsPort: Type.Integer({ minimum: 0, maximum: 65535, description: 'HTTP page and MQTT over WebSocket (0 = any free port)' }),
    wsPath: Type.String({ pattern: '^/', description: 'path of the MQTT WebSocket endpoint' }),
    tlsCertFile: Type.Optional(
      Type.String({ minLength: 1, description: 'a PEM certificate: MQTT over TLS on tlsPort and WebSocket over TLS on tlsWsPort as well (voxbus-credentials --tls makes a self-signed one)' }),
    ),
    tlsKeyFile: Type.Optional(Type.String({ minLength: 1, description: 'the certificate\'s PEM private key' })),
    tlsPort: Type.Integer({ minimum: 0, maximum: 65535, description: 'MQTT over TLS (mqtts://), with tlsCertFile (0 = any free port)' }),
    tlsWsPort: Type.Integer({ minimum: 0, maximum: 65535, description: 'the page and MQTT over WebSocket over TLS (wss://), with tlsCertFile (0 = any free port)' }),
    drainTimeoutMs: Type.Integer({
      minimum: 100,
      description: 'a client whose socket stays full this long is disconnected, so one frozen subscriber cannot stall audio for everyone',
    }),
    maxTopicLevels: Type.Integer({ minimum: 2, maximum: 100 }),
    maxPayloadBytes: Type.Integer({ minimum: 1024, maximum: 16 * 1024 * 1024, description: 'a larger PUBLISH disconnects its sender' }),
    maxClientIdLength: Type.Integer({ minimum: 23, maximum: 65535 }),
    usersFile: Type.Optional(
      Type.String({
        minLength: 1,
        description: 'logins with roles (service, monitor, controller, admin), as deploy/credentials.mjs writes them: access control on; without it, one shared login (or none on loopback) may do anything',
      }),
    ),
    connectMaxBytes: Type.Integer({ minimum: 256, maximum: 65536, description: 'a longer CONNECT is refused before it is read (it comes before any login)' }),
    allowedOrigins: Type.Array(Type.String({ minLength: 1 }), {
      description: 'web pages (origins) besides the broker\'s own that may open MQTT over WebSocket; `*` any. A request without Origin (not a browser) is always let through to the login',
    }),
    loginFreeFailures: Type.Integer({ minimum: 1, maximum: 1000, description: 'failed logins from one address before it must wait' }),
    loginMaxBlockMs: Type.Integer({ minimum: 1000, maximum: 3_600_000, description: 'the longest wait after failed logins (it doubles from 1 s)' }),
    maxRetainedTopics: Type.Integer({
      minimum: 16,
      maximum: 100_000,
      description: 'retained messages kept at most (statuses and states only; beyond it a retained message is delivered, not kept)',
    }),
    shutdownGraceMs: Type.Integer({
      minimum: 0,
      maximum: 4000,
      description: 'on stop, how long to keep routing while services are still connected (so their `offline` gets through)',
    }),
  },
  { additionalProperties: false },
);

export type BrokerConfig = Static<typeof BrokerConfigSchema>;

export const BROKER_DEFAULTS: BrokerConfig = {
  host: '127.0.0.1',
  tcpPort: 1883,
  wsPort: 9001,
  wsPath: '/mqtt',
  tlsPort: 8883,
  tlsWsPort: 9443,
  drainTimeoutMs: 1000,
  maxTopicLevels: 8,
  maxPayloadBytes: 256 * 1024,
  maxClientIdLength: 128,
  connectMaxBytes: 8192,
  allowedOrigins: [],
  loginFreeFailures: 5,
  loginMaxBlockMs: 30_000,
  maxRetainedTopics: 256,
  shutdownGraceMs: 2000,
};
