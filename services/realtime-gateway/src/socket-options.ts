import { ConfigError, type Logger, readSettingFile } from '@voxbus/shared';
import type { ClientOptions } from 'ws';
import type { GatewayConfig } from './config.js';

/** Headers the gateway sets itself: configured extra headers may not replace them. */
const OWN_HEADERS = ['authorization', 'api-key', 'host', 'upgrade', 'connection', 'sec-websocket-key', 'sec-websocket-version', 'sec-websocket-extensions'];

export type SocketOptions = Pick<ClientOptions, 'ca' | 'cert' | 'key' | 'rejectUnauthorized' | 'perMessageDeflate'> & {
  /** Extra headers for the handshake (a proxy's, a gateway's); the credentials' own come on top. */
  readonly headers: Readonly<Record<string, string>>;
};

/**
 * How the WebSocket to the realtime service is opened, beyond its address: extra handshake
 * headers, a CA to trust besides Node's own list (a TLS-inspecting proxy, the sim's certificate),
 * a client certificate, no certificate check at all (a lab only: said at start), and whether
 * permessage-deflate is offered (off by default, as the official SDK: it costs a small board CPU
 * on every audio frame). Files are read once, now: a missing one is a configuration error.
 */
export function socketOptions(config: GatewayConfig, log: Logger): SocketOptions {
  const own = Object.keys(config.headers).filter((name) => OWN_HEADERS.includes(name.toLowerCase()));
  if (own.length > 0) throw new ConfigError(`headers may not set ${own.join(', ')}: the gateway sets them (the key goes in apiKey)`);
  if (Boolean(config.tlsCertFile) !== Boolean(config.tlsKeyFile)) throw new ConfigError('tlsCertFile and tlsKeyFile go together (a client certificate and its key)');
  if (config.tlsInsecure) log.warn('tlsInsecure: the realtime service\'s certificate is not checked (a lab only: anyone on the path can read the conversation)');
  return {
    headers: config.headers,
    perMessageDeflate: config.perMessageDeflate,
    rejectUnauthorized: !config.tlsInsecure,
    ...(config.tlsCaFile ? { ca: readSettingFile(config.tlsCaFile, 'CA file (tlsCaFile)') } : {}),
    ...(config.tlsCertFile ? { cert: readSettingFile(config.tlsCertFile, 'client certificate (tlsCertFile)'), key: readSettingFile(config.tlsKeyFile, 'client key (tlsKeyFile)') } : {}),
  };
}
