import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import wavefile from 'wavefile';
import type { AudioFrame } from '../../audio/frame-codec.js';
import type { TopicKey } from '../../contract/contract.js';
import { BUS_OPTIONS, CliBus } from '../cli-bus.js';
import { positiveMs, UsageError, untilStopped } from './options.js';

/** The streams a person can record, by the name they give. */
export const RECORDABLE: Readonly<Record<string, TopicKey>> = {
  mic: 'audio.mic',
  input: 'audio.input',
  output: 'audio.output',
  played: 'audio.played',
};

const BIT_DEPTH = { s16le: '16', s32le: '32', f32le: '32f' } as const;
/** Frames arriving more than this after the last one mean nothing is being published. */
const NO_AUDIO_MS = 3000;

export interface Recorded {
  readonly frames: number;
  readonly bytes: number;
  readonly missing: number;
  readonly format: { sampleRateHz: number; channels: number; sampleFormat: AudioFrame['sampleFormat'] } | undefined;
  readonly formatChanges: number;
}

/**
 * Collects one stream's frames into a WAV: the format of the first frame (a frame in another
 * format is left out and counted, since one WAV has one format), frames in arrival order, a
 * sequence gap counted as missing frames.
 */
export class WavRecorder {
  private readonly chunks: Buffer[] = [];
  private format: Recorded['format'];
  private lastSequence: number | undefined;
  private frames = 0;
  private missing = 0;
  private formatChanges = 0;
  private bytes = 0;

  constructor(private readonly maxBytes: number) {}

  /** Adds a frame; false once the size bound is reached (the recording is complete). */
  add(frame: AudioFrame): boolean {
    const format = { sampleRateHz: frame.sampleRateHz, channels: frame.channels, sampleFormat: frame.sampleFormat };
    this.format ??= format;
    if (format.sampleRateHz !== this.format.sampleRateHz || format.channels !== this.format.channels || format.sampleFormat !== this.format.sampleFormat) {
      this.formatChanges += 1;
      return true;
    }
    if (this.lastSequence !== undefined) this.missing += (frame.sequence - this.lastSequence - 1 + 2 ** 32) % 2 ** 32;
    this.lastSequence = frame.sequence;
    if (this.bytes + frame.pcm.length > this.maxBytes) return false;
    this.chunks.push(Buffer.from(frame.pcm.buffer, frame.pcm.byteOffset, frame.pcm.byteLength));
    this.bytes += frame.pcm.length;
    this.frames += 1;
    return true;
  }

  get recorded(): Recorded {
    return { frames: this.frames, bytes: this.bytes, missing: this.missing, format: this.format, formatChanges: this.formatChanges };
  }

  /** The WAV file's bytes (undefined when nothing was recorded). */
  wav(): Uint8Array | undefined {
    if (this.format === undefined) return undefined;
    const pcm = Buffer.concat(this.chunks);
    const samples =
      this.format.sampleFormat === 's16le'
        ? new Int16Array(pcm.buffer, pcm.byteOffset, pcm.byteLength / 2)
        : this.format.sampleFormat === 's32le'
          ? new Int32Array(pcm.buffer, pcm.byteOffset, pcm.byteLength / 4)
          : new Float32Array(pcm.buffer, pcm.byteOffset, pcm.byteLength / 4);
    const wav = new wavefile.WaveFile();
    wav.fromScratch(this.format.channels, this.format.sampleRateHz, BIT_DEPTH[this.format.sampleFormat], samples);
    return wav.toBuffer();
  }
}

/**
 * `voxbus record <mic|input|output|played> file.wav [--seconds N] [--max-mb M]`: what one audio
 * stream carried, as a WAV file, for N seconds or until Ctrl-C, at most M MiB of audio.
 */
export async function record(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({ args, allowPositionals: true, options: { ...BUS_OPTIONS, seconds: { type: 'string' }, 'max-mb': { type: 'string' } } });
  const [stream, file] = positionals;
  const key = stream === undefined ? undefined : RECORDABLE[stream];
  if (key === undefined || file === undefined || positionals.length !== 2) {
    throw new UsageError(`voxbus record: give a stream (${Object.keys(RECORDABLE).join(', ')}) and a file, e.g. voxbus record mic out.wav --seconds 5`);
  }
  const seconds = values.seconds === undefined ? undefined : positiveMs(values.seconds, 0, 'seconds', 's');
  const maxBytes = positiveMs(values['max-mb'], 64, 'max-mb', 'MiB') * 2 ** 20;
  const bus = await CliBus.connect({ url: values.url, baseTopic: values['base-topic'] });
  const recorder = new WavRecorder(maxBytes);
  let full: () => void = () => undefined;
  const bounded = new Promise<void>((resolve) => {
    full = resolve;
  });
  let lastFrameAtMs = Date.now();
  bus.onMessage((message) => {
    if (message.key !== key || message.payload === undefined) return;
    lastFrameAtMs = Date.now();
    if (!recorder.add(message.payload as AudioFrame)) full();
  });
  const path = `audio/${stream}`;
  await bus.subscribe(path);
  console.error(`voxbus record: recording ${bus.baseTopic}/${path} into ${file}${seconds === undefined ? ' (Ctrl-C stops)' : ` for ${seconds} s`}`);
  const silentBus = setInterval(() => {
    if (Date.now() - lastFrameAtMs > NO_AUDIO_MS) console.error(`voxbus record: no ${path} frame for ${NO_AUDIO_MS / 1000} s (is its service running? with access control, recording the microphone needs hearAudio)`);
  }, NO_AUDIO_MS);
  await Promise.race([untilStopped(seconds === undefined ? undefined : seconds * 1000), bounded, bus.closed()]);
  clearInterval(silentBus);
  await bus.close();
  const wav = recorder.wav();
  const { frames, bytes, missing, format, formatChanges } = recorder.recorded;
  if (wav === undefined || format === undefined) {
    console.error(`voxbus record: no ${path} frame arrived; nothing written`);
    return 1;
  }
  writeFileSync(file, wav);
  const durationS = (bytes / (format.channels * (format.sampleFormat === 's16le' ? 2 : 4)) / format.sampleRateHz).toFixed(2);
  const notes = [missing > 0 ? `${missing} frames lost on the bus` : '', formatChanges > 0 ? `${formatChanges} frames in another format left out` : ''].filter(Boolean);
  console.log(`${file}: ${durationS} s, ${format.sampleRateHz} Hz, ${format.channels} ch, ${format.sampleFormat}, ${frames} frames${notes.length ? ` (${notes.join('; ')})` : ''}`);
  return 0;
}
