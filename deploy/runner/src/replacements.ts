import { withParent } from '@voxbus/shared/process';
import type { SupervisedCommand } from './supervisor.js';

/** `VOXBUS_REPLACE_AUDIO_CAPTURE` names the command that stands in for audio-capture. */
export const REPLACE_ENV_PREFIX = 'VOXBUS_REPLACE_';

export function replaceEnvName(service: string): string {
  return `${REPLACE_ENV_PREFIX}${service.toUpperCase().replaceAll('-', '_')}`;
}

/**
 * The services to run as a command line of the user's instead of the project's Node entry point
 * (a service written in any language): from `--replace name=command` options and
 * `VOXBUS_REPLACE_<NAME>` variables (an option wins). Each name must be a service the runner
 * found: a replacement keeps the name of the one it replaces.
 */
export function parseReplacements(options: readonly string[], env: NodeJS.ProcessEnv, known: readonly string[]): { commands: Map<string, string>; problems: string[] } {
  const commands = new Map<string, string>();
  const problems: string[] = [];
  for (const name of known) {
    const command = env[replaceEnvName(name)]?.trim();
    if (command) commands.set(name, command);
  }
  for (const option of options) {
    const at = option.indexOf('=');
    const name = option.slice(0, at).trim();
    const command = option.slice(at + 1).trim();
    if (at <= 0 || command === '') problems.push(`--replace ${option}: write it as --replace <service>=<command line>`);
    else if (!known.includes(name)) problems.push(`--replace ${name}: no service named ${name} to replace (found: ${known.join(', ')})`);
    else commands.set(name, command);
  }
  for (const name of Object.keys(env)) {
    if (name.startsWith(REPLACE_ENV_PREFIX) && !known.some((service) => replaceEnvName(service) === name)) {
      problems.push(`${name}: no service by that name to replace (found: ${known.map(replaceEnvName).join(', ')})`);
    }
  }
  return { commands, problems };
}

/**
 * A replacement as the supervisor runs it: through a shell (so the line may hold arguments,
 * quotes and variables), `exec`ed so the signals reach the program itself, and stopped within a
 * second of the runner being gone, however it went (the program cannot be trusted to watch).
 */
export function replacementCommand(name: string, commandLine: string, env: NodeJS.ProcessEnv): SupervisedCommand {
  return { name, label: commandLine, ...withParent(process.pid, 'sh', ['-c', `exec ${commandLine}`]), env };
}
