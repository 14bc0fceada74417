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
  /** It says `ready` on file descriptor 3 (a voxbus service told so by VOXBUS_READY_FD=3); others count as ready once started. */
  readonly readyFd?: boolean;
  /** It starts with nothing else starting, and nothing starts until it is ready (the broker: the others would only wait for it). */
  readonly startAlone?: boolean;
}

/** How the commands first start: a few at a time, each the moment an earlier one is ready. */
export interface StartPolicy {
  /** Commands starting (started, not yet ready) at once; the others wait their turn in order. */
  readonly startingAtOnce: number;
  /** A command that has not said `ready` by then counts as ready: one slow start holds the others back no longer. */
  readonly readyTimeoutMs: number;
}

/** Everything at once, as before there was a policy (and for commands that never say `ready`). */
const ALL_AT_ONCE: StartPolicy = { startingAtOnce: Number.POSITIVE_INFINITY, readyTimeoutMs: 10_000 };

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
  /** Not started yet, in order. */
  private readonly waiting: SupervisedCommand[] = [];
  /** Started the first time and not ready yet, with what counts them ready if they say nothing. */
  private readonly starting = new Map<string, { readonly command: SupervisedCommand; readonly timer: NodeJS.Timeout }>();
  private stopping = false;
  private finished: ((exits: Exit[]) => void) | undefined;

  constructor(
    private readonly commands: readonly SupervisedCommand[],
    private readonly restartDelayMs: number,
    private readonly write: (line: string) => void = (line) => process.stdout.write(`${line}\n`),
    private readonly policy: StartPolicy = ALL_AT_ONCE,
  ) {}

  /** Starts the commands as the policy lets them; resolves with how each ended once none is running or coming back. */
  run(): Promise<Exit[]> {
    const done = new Promise<Exit[]>((resolve) => {
      this.finished = resolve;
    });
    this.waiting.push(...this.commands);
    this.startWaiting();
    return done;
  }

  /** Passes `signal` on to every command; none is restarted (or started) from now on. */
  stop(signal: NodeJS.Signals): void {
    this.stopping = true;
    this.waiting.length = 0;
    for (const child of this.running.values()) signalTree(child, signal);
    this.settleIfDone();
  }

  /** The last resort for commands that do not stop. */
  killAll(): void {
    for (const child of this.running.values()) signalTree(child, 'SIGKILL');
  }

  /** Starts waiting commands while the policy allows: within `startingAtOnce`, and none beside one that starts alone. */
  private startWaiting(): void {
    for (let next = this.waiting[0]; next !== undefined && !this.stopping; next = this.waiting[0]) {
      const busy = this.starting.size;
      const aloneStarting = [...this.starting.values()].some((entry) => entry.command.startAlone === true);
      if (aloneStarting || busy >= this.policy.startingAtOnce || (next.startAlone === true && busy > 0)) return;
      this.waiting.shift();
      // One that never says `ready` is ready once started: it takes no turn.
      if (next.readyFd === true) this.starting.set(next.name, { command: next, timer: setTimeout(() => this.ready(next.name), this.policy.readyTimeoutMs) });
      this.start(next);
    }
  }

  /** A command started the first time is ready (it said so, it ended, or it took too long to say): the next may start. */
  private ready(name: string): void {
    const entry = this.starting.get(name);
    if (entry === undefined) return;
    clearTimeout(entry.timer);
    this.starting.delete(name);
    this.startWaiting();
  }

  private start(command: SupervisedCommand): void {
    const readyPipe = command.readyFd === true ? (['pipe'] as const) : [];
    const child = spawn(command.file, command.args, { env: command.env, stdio: ['ignore', 'pipe', 'pipe', ...readyPipe] });
    this.running.set(command.name, child);
    const readyStream = child.stdio[3];
    if (readyStream !== undefined && readyStream !== null) {
      let said = '';
      readyStream.on('data', (chunk: Buffer) => {
        said += chunk.toString();
        if (said.includes('ready')) this.ready(command.name);
      });
      readyStream.on('error', () => undefined);
    }
    for (const stream of [child.stdout, child.stderr]) {
      if (stream === null) continue;
      createInterface({ input: stream, crlfDelay: Infinity }).on('line', (line) => this.write(`[${command.name}] ${line}`));
    }
    const text = command.label ?? [command.file, ...command.args].join(' ');
    // 'close', not 'exit': the last lines it wrote are through the pipes by then.
    child.once('error', (error) => this.write(`[${command.name}] ${text} could not start: ${error.message}`));
    child.once('close', (code, signal) => {
      // Gone before it said so: the next need not wait for it.
      this.ready(command.name);
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
    if (this.running.size === 0 && this.waiting.length === 0) this.finished?.(this.exits);
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
