import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import type { AudioFrame } from '../../audio/frame-codec.js';
import { WavRecorder } from '../../audio/wav-recorder.js';
import { STREAM_TOPICS, type TopicKey } from '../../contract/contract.js';
import type { RecordableStream } from '../../contract/schemas.js';
import { BUS_OPTIONS, CliBus } from '../cli-bus.js';
import { positiveMs, UsageError, untilStopped } from './options.js';

/** The streams a person can record, by the name they give. */
export const RECORDABLE: Readonly<Record<RecordableStream, TopicKey>> = STREAM_TOPICS;

/** Frames arriving more than this after the last one mean nothing is being published. */
const NO_AUDIO_MS = 3000;

/**
 * `voxbus record <mic|input|output|played> file.wav [--seconds N] [--max-mb M]`: what one audio
 * stream carried, as a WAV file, for N seconds or until Ctrl-C, at most M MiB of audio.
 */
export async function record(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({ args, allowPositionals: true, options: { ...BUS_OPTIONS, seconds: { type: 'string' }, 'max-mb': { type: 'string' } } });
  const [stream, file] = positionals;
  const key = stream === undefined ? undefined : RECORDABLE[stream as RecordableStream];
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
  const { frames, missing, format, formatChanges } = recorder.recorded;
  if (wav === undefined || format === undefined) {
    console.error(`voxbus record: no ${path} frame arrived; nothing written`);
    return 1;
  }
  writeFileSync(file, wav);
  const durationS = (recorder.durationMs / 1000).toFixed(2);
  const notes = [missing > 0 ? `${missing} frames lost on the bus` : '', formatChanges > 0 ? `${formatChanges} frames in another format left out` : ''].filter(Boolean);
  console.log(`${file}: ${durationS} s, ${format.sampleRateHz} Hz, ${format.channels} ch, ${format.sampleFormat}, ${frames} frames${notes.length ? ` (${notes.join('; ')})` : ''}`);
  return 0;
}
