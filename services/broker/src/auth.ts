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

/** The one shared login a loopback broker demands, or undefined for an open one: both or neither. */
export function requiredCredentials(username: string | undefined, password: string | undefined): Credentials | undefined {
  if (username !== undefined && password !== undefined && username !== '' && password !== '') return { username, password };
  if (username || password) {
    throw new ConfigError('set both bus.username and bus.password (VOXBUS_BUS__USERNAME, VOXBUS_BUS__PASSWORD), or neither');
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
 * How the broker lets clients in: with `usersFile`, logins with roles; otherwise, on loopback
 * only, one shared login or none. Beyond loopback a shared login would let every LAN client that
 * has it do anything (hear the microphone, speak as any service): the broker refuses to start
 * without the users file. The broker needs no login of its own in that file: its status and
 * metrics reach it inside its process (so the all-in-one container has the users file alone).
 */
export function accessModeFor(host: string, usersFile: string | undefined, bus: { username?: string | undefined; password: string | undefined }, log: Logger): AccessMode {
  if (usersFile !== undefined) {
    return { kind: 'users', users: readUsersFile(usersFile) };
  }
  if (!isLoopback(host)) {
    throw new ConfigError(
      `broker.host is ${host}, beyond loopback: set broker.usersFile (VOXBUS_BROKER__USERS_FILE) to the users.json that voxbus-credentials makes, so that every login gets only its role's rights`,
    );
  }
  const credentials = requiredCredentials(bus.username, bus.password);
  if (credentials !== undefined) log.info('one shared login on loopback, no access rules (broker.usersFile sets them)');
  return credentials === undefined ? { kind: 'open' } : { kind: 'shared', credentials };
}
