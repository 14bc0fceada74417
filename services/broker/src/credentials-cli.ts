#!/usr/bin/env node
// voxbus-credentials <dir> [--rotate] [--file-mode 0644] [--login name:role[:hear-audio]]… [--tls name,address…]
// Makes the bus logins: one password file per service and role, and the broker's users.json.
import { BUS_ROLES, type BusRole, errorMessage } from '@voxbus/shared';
import { DEFAULT_LOGINS, type Login, makeCredentials, makeTlsPair } from './credentials.js';

const USAGE =
  'usage: voxbus-credentials <dir> [--rotate] [--file-mode 0644] [--login name:role[:hear-audio]]... [--tls name,address...]  (roles: service, monitor, controller, admin; --file-mode 0644 for compose secrets; --tls makes a self-signed certificate for the broker)';

/** The value after a flag, or undefined. */
const flagValue = (args: readonly string[], flag: string): string | undefined => {
  const index = args.indexOf(flag);
  return index >= 0 ? args[index + 1] : undefined;
};

function parseLogin(text: string): Login {
  const [username = '', role = '', grant] = text.split(':');
  if (!/^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/.test(username) || !(BUS_ROLES as readonly string[]).includes(role) || (grant !== undefined && grant !== 'hear-audio')) {
    throw new Error(`--login ${text}: expected name:role or name:role:hear-audio`);
  }
  return { username, role: role as BusRole, ...(grant ? { hearAudio: true } : {}) };
}

async function main(args: string[]): Promise<void> {
  const dir = args.find((arg, index) => !arg.startsWith('--') && !['--login', '--file-mode', '--tls'].includes(args[index - 1] ?? ''));
  if (!dir) throw new Error(USAGE);
  const extra = args.flatMap((arg, index) => (arg === '--login' ? [parseLogin(args[index + 1] ?? '')] : []));
  const logins = [...DEFAULT_LOGINS.filter((login) => !extra.some((e) => e.username === login.username)), ...extra];
  const modeText = flagValue(args, '--file-mode') ?? '0600';
  if (!/^0?[0-7]{3}$/.test(modeText)) throw new Error(`--file-mode ${modeText}: expected an octal mode such as 0600 or 0644`);
  const fileMode = Number.parseInt(modeText, 8);
  const written = await makeCredentials(dir, logins, { rotate: args.includes('--rotate'), fileMode });
  const tlsNames = flagValue(args, '--tls');
  if (tlsNames !== undefined) written.push(...(await makeTlsPair(dir, tlsNames.split(',').filter(Boolean), fileMode)));
  for (const path of written) console.log(`wrote ${path}`);
  console.log(`${logins.length} logins in ${dir}/users.json; passwords in ${dir}/<login>.password (mode ${modeText}, folder 0700)`);
}

main(process.argv.slice(2)).catch((error: unknown) => {
  console.error(`voxbus-credentials: ${errorMessage(error)}`);
  process.exit(1);
});
