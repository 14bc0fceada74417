import { createHash, timingSafeEqual } from 'node:crypto';
import { isIP } from 'node:net';
import { ConfigError } from '@voxbus/shared';

export interface Credentials {
  readonly username: string;
  readonly password: string;
}

/** True for addresses only this machine can reach. */
export function isLoopback(host: string): boolean {
  if (host === 'localhost' || host === '::1') return true;
  return isIP(host) === 4 && host.startsWith('127.');
}

/**
 * Credentials the broker will demand, or undefined for an open loopback broker. Listening
 * beyond loopback without credentials is refused: the bus carries the microphone.
 */
export function requiredCredentials(host: string, username: string | undefined, password: string | undefined): Credentials | undefined {
  if (username !== undefined && password !== undefined && username !== '' && password !== '') return { username, password };
  if (username || password) {
    throw new ConfigError('set both bus.username and bus.password (VOXBUS_BUS__USERNAME, VOXBUS_BUS__PASSWORD), or neither');
  }
  if (!isLoopback(host)) {
    throw new ConfigError(
      `broker.host is ${host}, beyond loopback: set bus.username and bus.password (VOXBUS_BUS__USERNAME, VOXBUS_BUS__PASSWORD) so that the broker requires them`,
    );
  }
  return undefined;
}

function digest(value: Buffer | string): Buffer {
  return createHash('sha256').update(value).digest();
}

/** Constant-time check (hashing first makes the lengths equal). */
export function credentialsMatch(expected: Credentials, username: string | undefined, password: Buffer | undefined): boolean {
  if (username === undefined || password === undefined) return false;
  const userOk = timingSafeEqual(digest(expected.username), digest(username));
  const passOk = timingSafeEqual(digest(expected.password), digest(password));
  return userOk && passOk;
}
