import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { withParent } from '../runtime/parent-watch.js';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { type EchoOptions, type RunningEcho, startEcho } from './echo-path.js';

const run = promisify(execFile);

/** The ALSA device names the board offers, as a real board's `plughw:` names would be. */
export const VIRTUAL_MIC_DEVICE = 'voxbus_mic';
export const VIRTUAL_SPEAKER_DEVICE = 'voxbus_spk';

export interface Recording {
  /** s16le mono. */
  readonly pcm: Buffer;
  /** CLOCK_MONOTONIC time of the first sample (from the whole recording; fine for seconds). */
  readonly firstSampleUs: number;
  /**
   * CLOCK_MONOTONIC time of sample `index`, from the chunks that arrived within a second after
   * it. Over minutes the sound server's clock drifts from the system's (about 0.06 % measured
   * here), and a time from the first sample would drift with it.
   */
  sampleTimeUs(index: number): number;
}

export interface Recorder {
  /** Stops recording. */
  stop(): Promise<Recording>;
}

export interface VirtualBoard {
  /** Environment for any process that should use the board's devices (ALSA and PulseAudio). */
  readonly env: Readonly<Record<string, string>>;
  readonly micDevice: string;
  readonly speakerDevice: string;
  /** Plays s16le PCM into the virtual microphone at real-time pace; resolves once played. */
  speak(pcm: Buffer, sampleRateHz: number, channels?: number): Promise<void>;
  /** Plays s16le PCM on the virtual speaker, as another program on the board would (the echo path hears it). */
  playOnSpeaker(pcm: Buffer, sampleRateHz: number): Promise<void>;
  /** Records what the virtual speaker plays. */
  recordSpeaker(sampleRateHz: number): Recorder;
  /** Records what reaches the virtual microphone (what speak() played, and any echo). */
  recordMicrophone(sampleRateHz: number): Recorder;
  /** The acoustic path from speaker to microphone (delay, level, a room's tail), or none (false). */
  setEcho(echo: EchoOptions | false): Promise<void>;
  /** The echo path in place, as set (undefined when there is none). */
  readonly echo: Required<EchoOptions> | undefined;
  /**
   * Takes the sound card away (a USB headset unplugged: microphone and speaker both go) or
   * brings it back. PulseAudio would move a stream whose sink is unloaded to another one, so
   * the card going away is its daemon stopping, which ALSA clients see as the device failing.
   */
  unplug(): Promise<void>;
  plug(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * A board with a microphone and a speaker but no sound card: a private PulseAudio daemon with
 * two null sinks, opened through the ALSA pulse plugin as `voxbus_mic` (the monitor of the sink
 * `mic`, which speak() plays into) and `voxbus_spk` (the sink `spk`, which recordSpeaker()
 * records). The devices run in real time, so latencies measured on them are real.
 *
 * A null sink with no low-latency client renders in blocks of up to 2 s, which starves an
 * ALSA client with a 40 ms buffer (measured: 160 ms of audio consumed in 2 s, then xrun
 * storms). A loopback from a silent null source at 10 ms pins each sink to a few ms of
 * latency; it adds only zeros and costs PulseAudio about 4% of a core.
 */
export async function startVirtualBoard(): Promise<VirtualBoard> {
  const dir = mkdtempSync(join(tmpdir(), 'voxbus-board-'));
  const socket = join(dir, 'pulse.sock');
  const script = join(dir, 'voxbus-board.pa');
  writeFileSync(
    script,
    [
      'load-module module-null-sink sink_name=mic',
      'load-module module-null-sink sink_name=spk',
      'load-module module-null-source source_name=silence',
      `load-module module-native-protocol-unix socket=${socket} auth-anonymous=1`,
      ...anchorCommands('mic'),
      ...anchorCommands('spk'),
      '',
    ].join('\n'),
  );
  const alsaConfig = join(dir, 'asound.conf');
  writeFileSync(
    alsaConfig,
    [
      `pcm.${VIRTUAL_MIC_DEVICE} { type pulse device "mic.monitor" server "unix:${socket}" }`,
      `pcm.${VIRTUAL_SPEAKER_DEVICE} { type pulse device "spk" server "unix:${socket}" }`,
      '',
    ].join('\n'),
  );
  const env = {
    PULSE_SERVER: `unix:${socket}`,
    // The system configuration first (plugins, `default`), then the board's two devices.
    ALSA_CONFIG_PATH: `/usr/share/alsa/alsa.conf:${alsaConfig}`,
    XDG_RUNTIME_DIR: dir,
  };
  const processEnv = { ...process.env, ...env };
  const pactl = async (...args: string[]): Promise<string> =>
    (await run('pactl', args, { env: processEnv })).stdout.trim();

  let daemon = await startDaemon(script, socket, { ...env, HOME: dir }, pactl);
  let echo: RunningEcho | undefined;
  const children = new Set<ChildProcess>();

  /** parec of a PulseAudio source, placed on CLOCK_MONOTONIC. */
  function record(source: string, sampleRateHz: number): Recorder {
    const recorder = spawn(
      'parec',
      ['-d', source, '--raw', '--format=s16le', `--rate=${sampleRateHz}`, '--channels=1', '--latency-msec=10'],
      { env: processEnv, stdio: ['ignore', 'pipe', 'ignore'] },
    );
    children.add(recorder);
    const chunks: Buffer[] = [];
    let bytes = 0;
    // Each chunk arrives a little after its last sample was played; the earliest arrival
    // relative to its content gives the recording's start time with the least delay in it.
    let firstSampleUs = Number.POSITIVE_INFINITY;
    /** Per chunk: the sample index it ended at, and when it arrived. */
    const arrivals: { endSample: number; arrivedUs: number }[] = [];
    recorder.stdout?.on('data', (chunk: Buffer) => {
      chunks.push(chunk);
      bytes += chunk.length;
      const arrivedUs = Number(process.hrtime.bigint() / 1000n);
      arrivals.push({ endSample: bytes / 2, arrivedUs });
      firstSampleUs = Math.min(firstSampleUs, arrivedUs - ((bytes / 2) * 1e6) / sampleRateHz);
    });
    const sampleTimeUs = (index: number): number => {
      let best = Number.POSITIVE_INFINITY;
      for (const { endSample, arrivedUs } of arrivals) {
        if (endSample < index) continue;
        if (endSample > index + sampleRateHz) break;
        best = Math.min(best, arrivedUs - ((endSample - index) * 1e6) / sampleRateHz);
      }
      return Number.isFinite(best) ? best : firstSampleUs + (index * 1e6) / sampleRateHz;
    };
    return {
      stop: () =>
        new Promise((resolve) => {
          recorder.once('exit', () => {
            children.delete(recorder);
            resolve({ pcm: Buffer.concat(chunks), firstSampleUs, sampleTimeUs });
          });
          recorder.kill('SIGTERM');
        }),
    };
  }

  // pacat keeps 100 ms queued: at 20 ms it underran on a loaded machine (the full suite runs
  // several boards at once) and the microphone heard the speech with holes in it.
  function play(sink: string, pcm: Buffer, sampleRateHz: number, channels: number): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const player = spawn(
        'pacat',
        ['--playback', '-d', sink, '--raw', '--format=s16le', `--rate=${sampleRateHz}`, `--channels=${channels}`, '--latency-msec=100'],
        { env: processEnv, stdio: ['pipe', 'ignore', 'pipe'] },
      );
      children.add(player);
      let errors = '';
      player.stderr?.on('data', (chunk: Buffer) => (errors += chunk.toString()));
      player.once('error', reject);
      player.once('exit', (code) => {
        children.delete(player);
        if (code === 0) resolve();
        else reject(new Error(`pacat exited with ${code}: ${errors}`));
      });
      player.stdin?.end(pcm);
    });
  }

  const board: VirtualBoard = {
    env,
    micDevice: VIRTUAL_MIC_DEVICE,
    speakerDevice: VIRTUAL_SPEAKER_DEVICE,

    speak: (pcm, sampleRateHz, channels = 1) => play('mic', pcm, sampleRateHz, channels),
    playOnSpeaker: (pcm, sampleRateHz) => play('spk', pcm, sampleRateHz, 1),

    recordSpeaker: (sampleRateHz) => record('spk.monitor', sampleRateHz),
    recordMicrophone: (sampleRateHz) => record('mic.monitor', sampleRateHz),

    get echo() {
      return echo?.options;
    },

    async setEcho(options) {
      const running = echo;
      echo = undefined;
      await running?.stop();
      if (options !== false) echo = await startEcho(pactl, options);
    },

    async unplug() {
      const running = echo;
      echo = undefined;
      await stopDaemon(daemon);
      await running?.stop().catch(() => {});
    },

    async plug() {
      if (daemon.exitCode === null && daemon.signalCode === null) return;
      daemon = await startDaemon(script, socket, { ...env, HOME: dir }, pactl);
    },

    async stop() {
      await echo?.stop().catch(() => {});
      for (const child of children) child.kill('SIGKILL');
      await stopDaemon(daemon);
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return board;
}

/** A silent, low-latency loopback that keeps the sink rendering in small blocks (see above). */
function anchorCommands(sink: string): string[] {
  return [`load-module module-loopback source=silence sink=${sink} latency_msec=10 source_dont_move=true sink_dont_move=true`];
}

async function startDaemon(
  script: string,
  socket: string,
  env: Record<string, string>,
  pactl: (...args: string[]) => Promise<string>,
): Promise<ChildProcess> {
  const args = ['-n', '-F', script, '--daemonize=no', '--exit-idle-time=-1', '--use-pid-file=no', '--disable-shm=yes', '--log-target=stderr'];
  // Stopped within a second when the test or benchmark that started it dies, even by SIGKILL (a
  // shell watches it); its own process group keeps a terminal's Ctrl-C from reaching it first.
  // Its board's directory goes with it when that process is gone.
  const command = withParent(process.pid, 'pulseaudio', args, dirname(script));
  const daemon = spawn(command.file, command.args, { env: { ...process.env, ...env }, stdio: ['ignore', 'ignore', 'pipe'], detached: true });
  let log = '';
  daemon.stderr?.on('data', (chunk: Buffer) => (log = (log + chunk.toString()).slice(-4000)));
  daemon.once('error', (error) => (log += `\ncannot start pulseaudio: ${error.message}`));
  try {
    await waitUntilReady(daemon, socket, pactl, () => log);
    await waitUntilFlowing({ ...process.env, ...env });
  } catch (error) {
    killGroup(daemon, 'SIGKILL');
    throw error;
  }
  return daemon;
}

/** The daemon and the shell watching it: their own process group. */
function killGroup(daemon: ChildProcess, signal: NodeJS.Signals): void {
  try {
    process.kill(-(daemon.pid as number), signal);
  } catch {
    // gone already
  }
}

/**
 * A fresh daemon's null sinks deliver nothing to a recorder for about 2 s (measured: the first
 * period at 1956 ms), until the anchors' low latency has taken hold. Wait for audio to flow
 * from the microphone, so that what a test records starts when the test starts.
 */
function waitUntilFlowing(env: NodeJS.ProcessEnv): Promise<void> {
  return new Promise((resolve, reject) => {
    const recorder = spawn('parec', ['-d', 'mic.monitor', '--raw', '--latency-msec=10'], { env, stdio: ['ignore', 'pipe', 'ignore'] });
    let bytes = 0;
    const timeout = setTimeout(() => {
      recorder.kill('SIGKILL');
      reject(new Error('the virtual board delivered no audio within 10 s'));
    }, 10_000);
    recorder.once('error', (error) => {
      clearTimeout(timeout);
      reject(new Error(`cannot start parec (deploy/setup.sh --test installs pulseaudio-utils): ${error.message}`));
    });
    recorder.stdout?.on('data', (chunk: Buffer) => {
      bytes += chunk.length;
      // A few periods' worth, not just the first packet, so the flow is steady.
      if (bytes < 8 * 1764) return;
      clearTimeout(timeout);
      recorder.stdout?.removeAllListeners('data');
      recorder.once('exit', () => resolve());
      recorder.kill('SIGTERM');
    });
  });
}

async function stopDaemon(daemon: ChildProcess): Promise<void> {
  if (daemon.exitCode !== null || daemon.signalCode !== null) return;
  await new Promise<void>((resolve) => {
    daemon.once('exit', () => resolve());
    killGroup(daemon, 'SIGTERM');
    setTimeout(() => killGroup(daemon, 'SIGKILL'), 2000).unref();
  });
}

async function waitUntilReady(
  daemon: ChildProcess,
  socket: string,
  pactl: (...args: string[]) => Promise<string>,
  log: () => string,
): Promise<void> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    if (daemon.exitCode !== null || daemon.signalCode !== null || log().includes('cannot start pulseaudio')) {
      throw new Error(`pulseaudio exited (deploy/setup.sh --test installs it):\n${log()}`);
    }
    if (existsSync(socket)) {
      try {
        await pactl('info');
        return;
      } catch {
        // not accepting yet
      }
    }
    if (Date.now() > deadline) throw new Error(`pulseaudio did not start within 10 s:\n${log()}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
