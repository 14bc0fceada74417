import { createHash, timingSafeEqual } from 'node:crypto';
import { isIP } from 'node:net';
import { ConfigError, type Logger } from '@voxbus/shared';
import type { AccessMode } from './bus-access.js';
import { readUsersFile } from './users-file.js';

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

/**
 * How the broker lets clients in: with `usersFile`, logins with roles (the broker's own login,
 * `bus.username`, must be in it); otherwise one shared login or, on loopback, none. One shared
 * login beyond loopback lets every LAN client do anything, so it is said at start.
 */
export function accessModeFor(host: string, usersFile: string | undefined, bus: { username?: string | undefined; password: string | undefined }, log: Logger): AccessMode {
  if (usersFile !== undefined) {
    const users = readUsersFile(usersFile);
    if (bus.username === undefined || !users.has(bus.username)) {
      throw new ConfigError(`the broker's own login (bus.username ${bus.username ?? 'unset'}) is not in the users file ${usersFile}: set VOXBUS_BUS__USERNAME=broker and its password file`);
    }
    return { kind: 'users', users };
  }
  const credentials = requiredCredentials(host, bus.username, bus.password);
  if (credentials === undefined) return { kind: 'open' };
  if (!isLoopback(host)) log.warn({ host }, 'listening beyond loopback with one shared login and no access rules: every client that has it may do anything (set broker.usersFile)');
  return { kind: 'shared', credentials };
}
