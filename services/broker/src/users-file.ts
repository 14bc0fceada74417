import { readFileSync } from 'node:fs';
import { Type } from '@sinclair/typebox';
import { BUS_ROLES, type BusRole, ConfigError, errorMessage, schemaErrors, StringEnum } from '@voxbus/shared';
import { isPasswordHash } from './password-hash.js';

/** One login the broker accepts. */
export interface BusUser {
  readonly username: string;
  readonly role: BusRole;
  readonly passwordHash: string;
  /** A monitor or controller that may hear the microphone (audio/mic, audio/input). */
  readonly hearAudio: boolean;
}

const UsersFileSchema = Type.Object(
  {
    version: Type.Literal(1),
    users: Type.Array(
      Type.Object(
        {
          username: Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$' }),
          role: StringEnum(BUS_ROLES),
          password: Type.String({ description: 'scrypt$<log2 N>$<salt>$<hash>, as `voxbus-credentials` writes it' }),
          hearAudio: Type.Optional(Type.Boolean()),
        },
        { additionalProperties: false },
      ),
      { minItems: 1 },
    ),
  },
  { additionalProperties: false },
);

/** Reads and checks the broker's users file (written by deploy/credentials.mjs); any fault is a ConfigError that names it. */
export function readUsersFile(path: string): ReadonlyMap<string, BusUser> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new ConfigError(`cannot read the users file ${path} (broker.usersFile): ${errorMessage(error)}`);
  }
  const problem = schemaErrors(UsersFileSchema, parsed, 'users file');
  if (problem) throw new ConfigError(`the users file ${path} is not valid: ${problem}`);
  const users = new Map<string, BusUser>();
  for (const entry of (parsed as { users: { username: string; role: BusRole; password: string; hearAudio?: boolean }[] }).users) {
    if (users.has(entry.username)) throw new ConfigError(`the users file ${path} names ${entry.username} twice`);
    if (!isPasswordHash(entry.password)) throw new ConfigError(`the users file ${path}: the password of ${entry.username} is not a scrypt hash (write the file with deploy/credentials.mjs)`);
    users.set(entry.username, { username: entry.username, role: entry.role, passwordHash: entry.password, hearAudio: entry.hearAudio ?? false });
  }
  return users;
}
