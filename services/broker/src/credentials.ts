import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { isIP } from 'node:net';
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

type UserEntry = { username: string; role: BusRole; password: string; hearAudio?: boolean };

/** The entries of an existing users.json (none when there is none or it cannot be read). */
function previousUsers(path: string): UserEntry[] {
  if (!existsSync(path)) return [];
  try {
    return (JSON.parse(readFileSync(path, 'utf8')) as { users?: UserEntry[] }).users ?? [];
  } catch {
    return [];
  }
}

/** Writes a file with the given mode, whole or not at all. */
function writeWhole(path: string, text: string, mode: number): void {
  const temporary = `${path}.tmp-${process.pid}`;
  writeFileSync(temporary, text, { mode });
  chmodSync(temporary, mode);
  renameSync(temporary, path);
}

export interface CredentialsOptions {
  /** New passwords for every login, not only the missing ones. */
  readonly rotate?: boolean;
  /**
   * The files' mode: 0600 (the default) for services running as the files' owner; 0644 when
   * containers running as another user each get their own file bind-mounted (compose secrets),
   * the folder itself staying 0700.
   */
  readonly fileMode?: number;
}

/**
 * Makes the bus credentials in `dir`: `<login>.password` for each login (one line, 192 random
 * bits; an existing one is kept unless `rotate`), and `users.json` for the broker (the scrypt
 * hashes and roles of all of them, written anew), in a folder only its owner may enter.
 * Returns the files written.
 */
export async function makeCredentials(dir: string, logins: readonly Login[] = DEFAULT_LOGINS, options: CredentialsOptions = {}): Promise<string[]> {
  const { rotate = false, fileMode = 0o600 } = options;
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  chmodSync(dir, 0o700);
  const written: string[] = [];
  const users: UserEntry[] = [];
  for (const login of logins) {
    const path = join(dir, `${login.username}.password`);
    let password = !rotate && existsSync(path) ? (readFileSync(path, 'utf8').split('\n')[0] ?? '').trim() : '';
    if (password === '') {
      password = randomBytes(24).toString('base64url');
      writeWhole(path, `${password}\n`, fileMode);
      written.push(path);
    }
    users.push({ username: login.username, role: login.role, password: await hashPassword(password), ...(login.hearAudio ? { hearAudio: true } : {}) });
  }
  const usersPath = join(dir, 'users.json');
  // Logins added on an earlier run (--login) and not named now are kept as they were.
  const named = new Set(logins.map((login) => login.username));
  for (const earlier of previousUsers(usersPath)) if (!named.has(earlier.username)) users.push(earlier);
  writeWhole(usersPath, `${JSON.stringify({ version: 1, users }, null, 2)}\n`, fileMode);
  written.push(usersPath);
  return written;
}

/**
 * A self-signed certificate for the broker's TLS listeners, for the names and addresses it is
 * reached by (`board.local`, `192.168.1.20`): `<dir>/tls-cert.pem` (clients trust it: `bus.caFile`,
 * `mosquitto_sub --cafile`) and `<dir>/tls-key.pem` (owner only). An existing pair is kept.
 * Returns the files written.
 */
export async function makeTlsPair(dir: string, names: readonly string[], fileMode = 0o600): Promise<string[]> {
  const certPath = join(dir, 'tls-cert.pem');
  const keyPath = join(dir, 'tls-key.pem');
  if (existsSync(certPath) && existsSync(keyPath)) return [];
  if (names.length === 0) throw new Error('a certificate needs at least one name or address');
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  // Loaded only here: a whole X.509 library the broker itself never needs.
  const { generate } = await import('selfsigned');
  const altNames = names.map((name) => (isIP(name) ? { type: 7 as const, ip: name } : { type: 2 as const, value: name }));
  const made = await generate([{ name: 'commonName', value: names[0] as string }], {
    keySize: 2048,
    algorithm: 'sha256',
    notAfterDate: new Date(Date.now() + 10 * 365 * 24 * 3600 * 1000),
    extensions: [{ name: 'basicConstraints', cA: true }, { name: 'subjectAltName', altNames }],
  });
  writeWhole(certPath, made.cert, 0o644);
  writeWhole(keyPath, made.private, fileMode);
  return [certPath, keyPath];
}
