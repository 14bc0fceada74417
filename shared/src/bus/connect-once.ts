import { randomBytes } from 'node:crypto';
import mqtt, { type MqttClient } from 'mqtt';
import { errorMessage } from '../errors.js';

export interface ToolLogin {
  readonly username?: string | undefined;
  readonly password?: string | undefined;
  readonly ca?: string | undefined;
}

/**
 * A connection for a tool that watches or drives the bus (the conformance kit, the command line),
 * not a service: one attempt and no reconnect, so a missing broker is said at once. Its client id
 * starts with the login (the broker binds ids to logins) and ends with a random part (two tools
 * at once). Resolves connected.
 */
export async function connectOnce(url: string, login: ToolLogin, tool: string): Promise<MqttClient> {
  const client = mqtt.connect(url, {
    ...(login.username === undefined ? {} : { username: login.username, password: login.password ?? '' }),
    ...(login.ca === undefined ? {} : { ca: login.ca }),
    clientId: `${login.username ?? tool}-${tool === login.username ? '' : `${tool}-`}${randomBytes(4).toString('hex')}`,
    protocolVersion: 4,
    clean: true,
    reconnectPeriod: 0,
    connectTimeout: 5000,
  });
  try {
    await new Promise<void>((resolve, reject) => {
      client.once('connect', () => resolve());
      client.once('error', (error) => reject(new Error(`cannot connect to the bus at ${url}: ${errorMessage(error)}`)));
      client.once('close', () => reject(new Error(`cannot connect to the bus at ${url}: the connection closed (is the broker running, and is this its address?)`)));
    });
  } catch (error) {
    client.end(true);
    throw error;
  }
  client.removeAllListeners('error');
  client.removeAllListeners('close');
  // A later error (the broker gone, a reset) ends in 'close', which the tool watches: an
  // 'error' nobody listens for would throw instead.
  client.on('error', () => undefined);
  return client;
}
