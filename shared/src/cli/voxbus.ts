#!/usr/bin/env node
import { errorMessage } from '../errors.js';
import { CONFORMANCE_USAGE, conformance } from './commands/conformance.js';
import { describe } from './commands/describe.js';
import { devices } from './commands/devices.js';
import { monitor } from './commands/monitor.js';
import { UsageError } from './commands/options.js';
import { RECORDABLE, record } from './commands/record.js';
import { say } from './commands/say.js';
import { status } from './commands/status.js';
import { tap } from './commands/tap.js';
import { tail } from './commands/tail.js';

/**
 * The voxbus command line. The bus is found as every service finds it (VOXBUS_BUS__URL,
 * VOXBUS_BUS__BASE_TOPIC, VOXBUS_BUS__USERNAME/PASSWORD or VOXBUS_CONFIG), or from --url and
 * --base-topic, which every command takes.
 */
const USAGE = `usage: voxbus <command> …
  status [--wait-ms N] [--json]
      the services on the bus: online or not, uptime, PSS, CPU, error counters; exits 1 when
      one is offline
  monitor [--seconds N] [--levels] [--audio] [--metrics] [--raw] [--retained]
      the conversation as it happens, one line per event: states, transcripts, turns and their
      latencies, errors; audio, levels, metrics and raw events only when asked
  tail <service> [the monitor's options]
      what one service publishes, its metrics included
  say "text" [--no-wait] [--timeout-ms 30000]
      the text goes to the model as your turn; prints the spoken answer's transcript
  describe <service> [--timeout-ms 3000]
      the service's version and effective configuration (secrets hidden), as JSON
  record <${Object.keys(RECORDABLE).join('|')}> file.wav [--seconds N] [--max-mb 64]
      one audio stream as a WAV file, for N seconds or until Ctrl-C
  tap start <mic|input|output|played> [--seconds N] [--name x] | stop | list | delete <name>
      recordings made on the board by the recorder service (VOXBUS_RECORDER__ENABLED=true), kept
      there, bounded in size
  devices [--no-bus]
      ALSA's capture and playback devices, and which ones the services have open, in what format
${CONFORMANCE_USAGE}`;

const COMMANDS: Readonly<Record<string, (args: string[]) => Promise<number>>> = { status, monitor, tail, say, describe, record, tap, devices, conformance };

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command === undefined || command === '--help' || command === 'help') {
    console.log(USAGE);
    return 0;
  }
  const run = COMMANDS[command];
  if (run === undefined) {
    console.error(`voxbus: unknown command "${command}"\n${USAGE}`);
    return 2;
  }
  try {
    return await run(rest);
  } catch (error) {
    // parseArgs says an unknown option with code ERR_PARSE_ARGS_…: bad use, like a UsageError.
    const usage = error instanceof UsageError || (error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS') === true;
    console.error(usage ? `${errorMessage(error)}\n(voxbus --help lists the commands and their options)` : `voxbus ${command}: ${errorMessage(error)}`);
    return usage ? 2 : 1;
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(`voxbus: ${errorMessage(error)}`);
    process.exit(2);
  },
);
