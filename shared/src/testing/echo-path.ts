import { spawn } from 'node:child_process';

/** The acoustic path from the board's speaker back into its microphone. */
export interface EchoOptions {
  /** How much later the microphone hears the speaker, ms (40 by default). */
  readonly delayMs?: number;
  /** The echo's level against what the speaker plays, dB (-6 by default: a speaker a few cm from the microphone). */
  readonly gainDb?: number;
  /** A room's reverberant tail after the direct sound (sox's `reverb`), as a small, furnished room has. */
  readonly reverb?: boolean;
}

export interface RunningEcho {
  readonly options: Required<EchoOptions>;
  stop(): Promise<void>;
}

type Pactl = (...args: string[]) => Promise<string>;

const RATE_HZ = 48_000;
/**
 * sox's reverb, wet only (the direct sound is the loopback's): 50 % reverberance, 50 % HF
 * damping, a room scale of 40 %, 10 ms of pre-delay; its level against the direct sound. It
 * reaches the microphone through parec, sox and pacat, about 50 ms after the direct sound.
 */
const REVERB = ['reverb', '-w', '50', '50', '40', '100', '10'];
const TAIL_DB = -6;

/**
 * Starts an echo path on the virtual board's sound server. The direct sound is PulseAudio's
 * module-loopback (`latency_msec` is the delay it holds; the loopback adapts its rate to hold
 * it, so the path wanders by about a millisecond, as two devices' clocks drift) with its
 * stream's volume at `gainDb`. A reverberant tail, when asked for, is added by parec → sox
 * (wet only) → pacat, arriving after the direct sound as a room's reflections do.
 */
export async function startEcho(pactl: Pactl, env: NodeJS.ProcessEnv, echo: EchoOptions): Promise<RunningEcho> {
  const options: Required<EchoOptions> = { delayMs: echo.delayMs ?? 40, gainDb: echo.gainDb ?? -6, reverb: echo.reverb ?? false };
  const direct = await startLoopback(pactl, options);
  if (!options.reverb) return direct;
  try {
    const tail = await startReverberant(env, options.gainDb + TAIL_DB);
    return { options, stop: async () => void (await Promise.all([direct.stop(), tail.stop()])) };
  } catch (error) {
    await direct.stop();
    throw error;
  }
}

async function startLoopback(pactl: Pactl, options: Required<EchoOptions>): Promise<RunningEcho> {
  const module = await pactl('load-module', 'module-loopback', 'source=spk.monitor', 'sink=mic', `latency_msec=${options.delayMs}`, 'sink_input_properties=media.name=voxbus-echo');
  try {
    const input = sinkInputOf(await pactl('list', 'sink-inputs'), module);
    await pactl('set-sink-input-volume', input, `${options.gainDb}dB`);
  } catch (error) {
    await pactl('unload-module', module);
    throw error;
  }
  return { options, stop: async () => void (await pactl('unload-module', module)) };
}

/** The index of the sink input a module owns, from `pactl list sink-inputs`. */
export function sinkInputOf(listing: string, module: string): string {
  for (const block of listing.split(/\n(?=Sink Input #)/)) {
    const index = /^Sink Input #(\d+)/.exec(block.trim())?.[1];
    if (index !== undefined && new RegExp(`Owner Module: ${module}\\b`).test(block)) return index;
  }
  throw new Error(`no sink input of module ${module} in:\n${listing}`);
}

async function startReverberant(env: NodeJS.ProcessEnv, gainDb: number): Promise<{ stop(): Promise<void> }> {
  const raw = `--raw --format=s16le --rate=${RATE_HZ} --channels=1`;
  // One shell pipeline, so the audio flows process to process: through this (busy) Node process,
  // any stall of its event loop would lengthen the path for good.
  const pipeline = [
    `exec parec -d spk.monitor ${raw} --latency-msec=10`,
    `sox -q --buffer 1024 -t raw -r ${RATE_HZ} -e signed -b 16 -c 1 - -t raw - ${REVERB.join(' ')} gain ${gainDb}`,
    `pacat --playback -d mic ${raw} --latency-msec=10`,
  ].join(' | ');
  const shell = spawn('sh', ['-c', pipeline], { env, stdio: 'ignore', detached: true });
  shell.on('error', () => {});
  const failed = await Promise.race([
    new Promise<string>((resolve) => shell.once('exit', (code) => resolve(`the pipeline exited with ${code} (deploy/setup.sh --test installs sox and pulseaudio-utils)`))),
    new Promise<undefined>((resolve) => setTimeout(() => resolve(undefined), 300)),
  ]);
  const stop = async () => {
    if (shell.exitCode !== null || shell.signalCode !== null || shell.pid === undefined) return;
    const exited = new Promise<void>((resolve) => shell.once('exit', () => resolve()));
    try {
      process.kill(-shell.pid, 'SIGKILL');
    } catch {
      // already gone
    }
    await exited;
  };
  if (failed !== undefined) {
    await stop();
    throw new Error(`the reverberant echo path did not start: ${failed}`);
  }
  return { stop };
}
