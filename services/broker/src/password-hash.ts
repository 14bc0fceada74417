import { randomBytes, scrypt, timingSafeEqual } from 'node:crypto';

/**
 * Password hashes for the users file: `scrypt$<log2 N>$<salt>$<hash>` (base64). N = 2^12 costs
 * 4 MiB and ~10 ms here: a board with 64 MB must survive eight services logging in at once, and
 * the generated passwords carry 192 bits, so the work factor guards only chosen ones (throttled).
 */
const DEFAULT_LOG_N = 12;
const KEY_BYTES = 32;

function derive(password: Buffer | string, salt: Buffer, logN: number): Promise<Buffer> {
  return new Promise((resolve, reject) =>
    scrypt(password, salt, KEY_BYTES, { N: 2 ** logN, r: 8, p: 1, maxmem: 64 * 1024 * 1024 }, (error, key) => (error ? reject(error) : resolve(key))),
  );
}

export async function hashPassword(password: string, logN = DEFAULT_LOG_N): Promise<string> {
  const salt = randomBytes(16);
  return `scrypt$${logN}$${salt.toString('base64')}$${(await derive(password, salt, logN)).toString('base64')}`;
}

/** True when the hash is one this module writes (checked when the users file is read). */
export function isPasswordHash(value: string): boolean {
  const parts = value.split('$');
  return parts.length === 4 && parts[0] === 'scrypt' && /^(1[0-9]|[4-9])$/.test(parts[1] ?? '') && (parts[2] ?? '') !== '' && (parts[3] ?? '') !== '';
}

export async function verifyPassword(hash: string, password: Buffer | string): Promise<boolean> {
  const [, logN, salt, expected] = hash.split('$');
  const want = Buffer.from(expected ?? '', 'base64');
  const got = await derive(password, Buffer.from(salt ?? '', 'base64'), Number(logN));
  return want.length === got.length && timingSafeEqual(want, got);
}
