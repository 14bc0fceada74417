import { type ChildProcess, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { processTree } from '@voxbus/shared/process';

export interface SupervisedCommand {
  readonly name: string;
  readonly file: string;
  readonly args: readonly string[];
  readonly env: NodeJS.ProcessEnv;
  /** How its lines name it, when the command line is a wrapper (a shell watching the runner). */
  readonly label?: string;
}

export interface Exit {
  readonly name: string;
  /** The exit code, or the signal that ended it. */
  readonly exitCode: number | string;
}

/**
 * Runs commands side by side: each line they write goes out prefixed with `[name]`, a command
 * that fails (any exit but 0) is started again `restartDelayMs` later, without limit, and
 * `stop()` passes a signal on to all of them and restarts none. What concurrently did for the
 * runner, in the few lines the runner used: concurrently and its dependencies held 24 MiB of
 * the runner's private memory on a board (bench:footprint).
 */
export class Supervisor {
  private readonly running = new Map<string, ChildProcess>();
  private readonly exits: Exit[] = [];
  private stopping = false;
  private finished: ((exits: Exit[]) => void) | undefined;

  constructor(
    private readonly commands: readonly SupervisedCommand[],
    private readonly restartDelayMs: number,
    private readonly write: (line: string) => void = (line) => process.stdout.write(`${line}\n`),
  ) {}

  /** Starts every command; resolves with how each ended once none is running or coming back. */
  run(): Promise<Exit[]> {
    const done = new Promise<Exit[]>((resolve) => {
      this.finished = resolve;
    });
    for (const command of this.commands) this.start(command);
    return done;
  }

  /** Passes `signal` on to every command; none is restarted from now on. */
  stop(signal: NodeJS.Signals): void {
    this.stopping = true;
    for (const child of this.running.values()) signalTree(child, signal);
    this.settleIfDone();
  }

  /** The last resort for commands that do not stop. */
  killAll(): void {
    for (const child of this.running.values()) signalTree(child, 'SIGKILL');
  }

  private start(command: SupervisedCommand): void {
    const child = spawn(command.file, command.args, { env: command.env, stdio: ['ignore', 'pipe', 'pipe'] });
    this.running.set(command.name, child);
    for (const stream of [child.stdout, child.stderr]) {
      createInterface({ input: stream, crlfDelay: Infinity }).on('line', (line) => this.write(`[${command.name}] ${line}`));
    }
    const text = command.label ?? [command.file, ...command.args].join(' ');
    // 'close', not 'exit': the last lines it wrote are through the pipes by then.
    child.once('error', (error) => this.write(`[${command.name}] ${text} could not start: ${error.message}`));
    child.once('close', (code, signal) => {
      const exitCode = code ?? signal ?? 'unknown';
      this.write(`[${command.name}] ${text} exited with code ${exitCode}`);
      if (this.stopping || exitCode === 0) {
        this.running.delete(command.name);
        this.exits.push({ name: command.name, exitCode });
        this.settleIfDone();
        return;
      }
      setTimeout(() => {
        if (this.stopping) {
          this.running.delete(command.name);
          this.exits.push({ name: command.name, exitCode });
          this.settleIfDone();
          return;
        }
        this.write(`[${command.name}] ${text} restarted`);
        this.start(command);
      }, this.restartDelayMs);
    });
  }

  private settleIfDone(): void {
    if (this.running.size === 0) this.finished?.(this.exits);
  }
}

/**
 * Signals a command and everything it started, the deepest first: a service's shell wrapper
 * waits for its node without passing signals on.
 */
function signalTree(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  for (const pid of processTree(child.pid).reverse()) {
    try {
      process.kill(pid, signal);
    } catch {
      // gone meanwhile
    }
  }
}
