import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { promisify } from 'node:util';
import mqtt from 'mqtt';
import { type AudioFrame, decodeAudioFrame, encodeAudioFrame } from '@voxbus/shared';
import { samples, type VirtualBoard } from '@voxbus/shared/testing';
import { cpuTimeMs, memoryOf, startAedesService, startService } from '../lib/processes.js';
import { BlockEnergy, erleDb } from './blocks.js';

const run = promisify(execFile);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const nowUs = () => Number(process.hrtime.bigint() / 1000n);
const RATE_HZ = 24_000;

export interface EchoFigure {
  readonly erleDb: number;
  /** 100 ms blocks of echo the figure is measured over. */
  readonly blocks: number;
}

export interface OursResult extends EchoFigure {
  readonly converged: boolean;
  readonly convergedAfterMs: number | null;
  readonly reportedErleDb: number | null;
  readonly dspCpuPercent: number;
  readonly dspPssBytes: number | null;
}


function mono(frame: AudioFrame): Int16Array {
  const all = samples(Buffer.from(frame.pcm));
  return frame.channels === 1 ? all : all.filter((_, i) => i % frame.channels === 0);
}

/**
 * Ours: audio-capture, playback and dsp as their own processes on the virtual board with its
 * acoustic echo path on. `talk` (24 kHz mono) is played as assistant audio, in real time; the
 * microphone (audio/mic) and what the dsp made of it (audio/input) are compared block by block
 * on the capture clock, after `settleMs`.
 */
export async function measureOurs(board: VirtualBoard, talk: Buffer, settleMs: number, dspEnv: Record<string, string>): Promise<OursResult> {
  const broker = await startAedesService();
  const env = { ...board.env, VOXBUS_BUS__URL: broker.url };
  const services = [
    startService('audio-capture', { ...env, VOXBUS_AUDIO_CAPTURE__DEVICE: board.micDevice }),
    startService('playback', { ...env, VOXBUS_PLAYBACK__DEVICE: board.speakerDevice }),
    startService('dsp', { ...env, ...dspEnv }),
  ];
  const dsp = services[2] as ChildProcess;
  const client = await mqtt.connectAsync(broker.url, { protocolVersion: 4 });
  // A dropped connection is said, not thrown as a bare uncaught ECONNRESET.
  client.on('error', (error) => console.error(`bench: the observing MQTT client: ${error.message}`));
  const raw = new BlockEnergy();
  const cancelled = new BlockEnergy();
  const states: Record<string, { state: string; echo?: { converged: boolean; erleDb: number | null } }> = {};
  let convergedAtUs: number | null = null;
  client.on('message', (topic, payload) => {
    if (topic === 'voxbus/audio/mic' || topic === 'voxbus/audio/input') {
      const frame = decodeAudioFrame(payload);
      (topic === 'voxbus/audio/mic' ? raw : cancelled).add(mono(frame), frame.sampleRateHz, frame.captureTimeUs);
    } else {
      const service = topic.split('/')[1] as string;
      states[service] = JSON.parse(payload.toString());
      if (service === 'dsp' && states.dsp?.echo?.converged && convergedAtUs === null) convergedAtUs = nowUs();
    }
  });
  await client.subscribeAsync(['voxbus/audio/mic', 'voxbus/audio/input', 'voxbus/+/state'], { qos: 0 });
  for (const deadline = Date.now() + 20_000; states['audio-capture']?.state !== 'capturing' || states.playback?.state !== 'idle' || states.dsp === undefined; ) {
    const exited = services.find((child) => child.exitCode !== null);
    if (Date.now() > deadline || exited !== undefined) {
      for (const child of services) child.kill('SIGKILL');
      await broker.stop();
      throw new Error(`services not ready${exited ? ` (${exited.spawnfile} ${exited.spawnargs.at(-1)} exited with ${exited.exitCode})` : ''}: ${JSON.stringify(states)}`);
    }
    await sleep(100);
  }
  await sleep(1000);
  const cpuBefore = cpuTimeMs(dsp.pid as number);
  const startedUs = nowUs();
  // The reply, 20 ms frames at real-time pace (a little ahead, as the realtime service streams).
  for (let offset = 0, index = 0; offset * 2 < talk.length; offset += 480, index++) {
    const dueUs = startedUs + index * 20_000 - 100_000;
    const waitMs = (dueUs - nowUs()) / 1000;
    if (waitMs > 1) await sleep(waitMs);
    client.publish(
      'voxbus/audio/output',
      encodeAudioFrame({
        sampleRateHz: RATE_HZ,
        channels: 1,
        sampleFormat: 's16le',
        sequence: index,
        captureTimeUs: nowUs(),
        item: { responseId: 'bench', itemId: 'echo', sampleOffset: offset },
        pcm: talk.subarray(offset * 2, (offset + 480) * 2),
      }),
      { qos: 0 },
    );
  }
  await sleep(1500);
  const elapsedMs = (nowUs() - startedUs) / 1000;
  const dspCpuPercent = ((cpuTimeMs(dsp.pid as number) - cpuBefore) / elapsedMs) * 100;
  const dspPssBytes = memoryOf(dsp.pid as number).pssBytes;
  client.end(true);
  for (const child of services) child.kill('SIGTERM');
  await Promise.all(services.map((child) => new Promise((resolve) => child.once('exit', resolve))));
  await broker.stop();
  const figure = erleDb(raw, cancelled, startedUs + settleMs * 1000);
  const echo = states.dsp?.echo;
  return {
    ...figure,
    converged: echo?.converged ?? false,
    convergedAfterMs: convergedAtUs === null ? null : Math.round((convergedAtUs - startedUs) / 1000),
    reportedErleDb: echo?.erleDb ?? null,
    dspCpuPercent,
    dspPssBytes,
  };
}

/**
 * PulseAudio's own canceller on the same board and signal: module-echo-cancel with the webrtc
 * method between the board's microphone and speaker. `talk` is played into its sink; the raw
 * microphone and the cancelled source are recorded side by side and compared the same way.
 */
export async function measurePulseAudio(board: VirtualBoard, talk: Buffer, settleMs: number, aecArgs: string): Promise<EchoFigure> {
  const processEnv = { ...process.env, ...board.env };
  const pactl = async (...args: string[]) => (await run('pactl', args, { env: processEnv })).stdout.trim();
  const module = await pactl(
    'load-module',
    'module-echo-cancel',
    'source_master=mic.monitor',
    'sink_master=spk',
    'source_name=ec_mic',
    'sink_name=ec_spk',
    'aec_method=webrtc',
    `aec_args="${aecArgs}"`,
  );
  try {
    await sleep(500);
    const record = (device: string) => {
      const recorder = spawn('parec', ['-d', device, '--raw', '--format=s16le', `--rate=${RATE_HZ}`, '--channels=1', '--latency-msec=10'], {
        env: processEnv,
        stdio: ['ignore', 'pipe', 'ignore'],
      });
      const chunks: Buffer[] = [];
      recorder.stdout?.on('data', (chunk: Buffer) => chunks.push(chunk));
      return {
        stop: () =>
          new Promise<Int16Array>((resolve) => {
            recorder.once('exit', () => resolve(samples(Buffer.concat(chunks))));
            recorder.kill('SIGTERM');
          }),
      };
    };
    const rawRecorder = record('mic.monitor');
    const cancelledRecorder = record('ec_mic');
    await sleep(300);
    await new Promise<void>((resolve, reject) => {
      const player = spawn('pacat', ['--playback', '-d', 'ec_spk', '--raw', '--format=s16le', `--rate=${RATE_HZ}`, '--channels=1', '--latency-msec=20'], {
        env: processEnv,
        stdio: ['pipe', 'ignore', 'ignore'],
      });
      player.once('error', reject);
      player.once('exit', () => resolve());
      player.stdin?.end(talk);
    });
    await sleep(1000);
    const [rawPcm, cancelledPcm] = await Promise.all([rawRecorder.stop(), cancelledRecorder.stop()]);
    const raw = new BlockEnergy();
    const cancelled = new BlockEnergy();
    // Both recordings started together; their sample clocks are the sound server's.
    raw.add(rawPcm, RATE_HZ, 0);
    cancelled.add(cancelledPcm, RATE_HZ, 0);
    return erleDb(raw, cancelled, (300 + settleMs) * 1000);
  } finally {
    await pactl('unload-module', module);
  }
}
