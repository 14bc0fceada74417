import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type BusRole, KNOWN_SERVICES } from '@voxbus/shared';
import { hashPassword } from './password-hash.js';

export interface Login {
  readonly username: string;
  readonly role: BusRole;
  readonly hearAudio?: boolean;
}

/** Every service of the project, and one login per person-facing role. */
export const DEFAULT_LOGINS: readonly Login[] = [
  ...KNOWN_SERVICES.map((username) => ({ username, role: 'service' as const })),
  { username: 'monitor', role: 'monitor' },
  { username: 'controller', role: 'controller' },
  { username: 'admin', role: 'admin' },
];

/** Writes a file readable by its owner only, whole or not at all. */
function writePrivate(path: string, text: string): void {
  const temporary = `${path}.tmp-${process.pid}`;
  writeFileSync(temporary, text, { mode: 0o600 });
  chmodSync(temporary, 0o600);
  renameSync(temporary, path);
}

/**
 * Makes the bus credentials in `dir`: `<login>.password` for each login (one line, 192 random
 * bits; an existing one is kept unless `rotate`), and `users.json` for the broker (the scrypt
 * hashes and roles of all of them, written anew). Every file is readable by its owner only.
 * Returns the files written.
 */
export async function makeCredentials(dir: string, logins: readonly Login[] = DEFAULT_LOGINS, rotate = false): Promise<string[]> {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const written: string[] = [];
  const users: { username: string; role: BusRole; password: string; hearAudio?: boolean }[] = [];
  for (const login of logins) {
    const path = join(dir, `${login.username}.password`);
    let password = !rotate && existsSync(path) ? (readFileSync(path, 'utf8').split('\n')[0] ?? '').trim() : '';
    if (password === '') {
      password = randomBytes(24).toString('base64url');
      writePrivate(path, `${password}\n`);
      written.push(path);
    }
    users.push({ username: login.username, role: login.role, password: await hashPassword(password), ...(login.hearAudio ? { hearAudio: true } : {}) });
  }
  const usersPath = join(dir, 'users.json');
  writePrivate(usersPath, `${JSON.stringify({ version: 1, users }, null, 2)}\n`);
  written.push(usersPath);
  return written;
}
