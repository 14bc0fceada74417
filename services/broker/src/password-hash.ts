import { randomBytes, scryptSync, timingSafeEqual } from 'node:crypto';

/**
 * Password hashes for the users file: `scrypt$<log2 N>$<salt>$<hash>` (base64). The passwords are
 * generated (192 random bits), so the work factor is not what protects them: N = 2^10 (1 MiB,
 * 3.6 ms here). Derived on the main thread: in libuv's pool each thread's malloc arena kept the
 * buffers, and eight logins at N = 2^12 left the broker 17 MiB larger (PSS 50 → 67 MiB; 1.5 MiB
 * this way). Failed logins are throttled per address, so the blocking cannot be driven hard.
 */
const DEFAULT_LOG_N = 10;
const KEY_BYTES = 32;

async function derive(password: Buffer | string, salt: Buffer, logN: number): Promise<Buffer> {
  return Promise.resolve(scryptSync(password, salt, KEY_BYTES, { N: 2 ** logN, r: 8, p: 1, maxmem: 64 * 1024 * 1024 }));
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
