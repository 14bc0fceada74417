import { type DspBackend, NativeDspBackend } from '@voxbus/dsp';
import { DspChain } from '@voxbus/dsp-service/chain';
import { DSP_DEFAULTS, type DspConfig } from '@voxbus/dsp-service/config';
import { type AudioFrame, createLogger, MetricsRegistry, type Payload } from '@voxbus/shared';
import { FakeClock, samples, sine, sineSnrDb } from '@voxbus/shared/testing';
import { round3 } from '../lib/stats.js';

const MODEL_RATE_HZ = 24_000;
const backend: DspBackend = new NativeDspBackend();
/** The addon's engines (the fake's is not measured). */
export type DspEngine = Exclude<DspConfig['engine'], 'auto'>;
export const engines = backend.engines.filter((engine): engine is DspEngine => engine !== 'fake');

/** A DspChain in this process, fed frames directly; what it publishes is kept. */
function chain(config: Partial<DspConfig>) {
  const frames: AudioFrame[] = [];
  const vad: Payload<'dsp.event.vad'>[] = [];
  const dsp = new DspChain(
    { ...DSP_DEFAULTS, ...config },
    {
      backend,
      clock: new FakeClock(0, 0),
      log: createLogger('bench', 'silent'),
      metrics: new MetricsRegistry(),
      publishFrame: (frame) => frames.push(frame),
      publishVad: (event) => vad.push(event),
      publishLevels: () => {},
      publishState: () => {},
    },
  );
  return { dsp, frames, vad };
}

/** Interleaved s16 as frames of `frameMs` starting at `startUs`. */
function toFrames(interleaved: Int16Array, sampleRateHz: number, channels: number, frameMs = 20, startUs = 1_000_000): AudioFrame[] {
  const per = ((sampleRateHz * frameMs) / 1000) * channels;
  const frames: AudioFrame[] = [];
  for (let at = 0; at + per <= interleaved.length; at += per) {
    const index = frames.length;
    const chunk = interleaved.slice(at, at + per);
    frames.push({ sampleRateHz, channels, sampleFormat: 's16le', sequence: index, captureTimeUs: startUs + index * frameMs * 1000, pcm: Buffer.from(chunk.buffer) });
  }
  return frames;
}

const output = (frames: AudioFrame[]) => samples(Buffer.concat(frames.map((f) => Buffer.from(f.pcm))));

/** SNR of a 1 kHz sine resampled to 24 kHz frame by frame, as the dsp does it. */
export function resamplerSnr(quality: number): Record<string, number> {
  const out: Record<string, number> = {};
  for (const inRateHz of [48_000, 16_000]) {
    const resampler = backend.createResampler({ channels: 1, inRateHz, outRateHz: MODEL_RATE_HZ, quality });
    const input = sine(inRateHz, 2, 1000, 0.5);
    const frameBytes = (inRateHz / 50) * 2;
    const parts: Buffer[] = [];
    for (let at = 0; at < input.length; at += frameBytes) parts.push(resampler.process(input.subarray(at, at + frameBytes)));
    const values = samples(Buffer.concat(parts));
    out[`from${inRateHz / 1000}kHz_dB`] = round3(sineSnrDb(values.subarray(2400, values.length - 2400), MODEL_RATE_HZ, 1000));
  }
  return out;
}

/**
 * DC removal: a 1 kHz tone at -12 dBFS with a -20 dBFS offset stepping in under it at 300 ms,
 * through the dsp with only DC removal on. The offset left is the mean over 10 ms (ten tone
 * periods, so the tone cancels) at several times after the step; the figure is at 200 ms.
 */
export function dcRemoval(cutoffHz: number): { residualDbfsAfterMs: Record<string, number>; stepDbfs: number; note: string } {
  const rate = 48_000;
  const tone = samples(sine(rate, 1, 1000, 0.25));
  const stepAt = rate * 0.3;
  const input = Int16Array.from(tone, (v, i) => Math.max(-32768, Math.min(32767, v + (i >= stepAt ? 3277 : 0))));
  const { dsp, frames } = chain({ ...bare, dcRemoval: true, highPassHz: cutoffHz });
  for (const frame of toFrames(input, rate, 1)) dsp.microphone(frame);
  const out = output(frames);
  const stepOut = MODEL_RATE_HZ * 0.3;
  const residualDbfsAfterMs: Record<string, number> = {};
  for (const afterMs of [0, 5, 10, 20, 50, 100, 200]) {
    const from = stepOut + (afterMs * MODEL_RATE_HZ) / 1000;
    const mean = Math.abs(out.subarray(from, from + 240).reduce((sum, v) => sum + v, 0) / 240 / 32768);
    residualDbfsAfterMs[String(afterMs)] = mean === 0 ? -120 : round3(20 * Math.log10(mean));
  }
  return {
    residualDbfsAfterMs,
    stepDbfs: -20,
    note: 'measured on audio/input (16-bit), the mean over 10 ms from that many ms after the step; -120 means the mean is exactly zero (below one LSB, -90.3 dBFS)',
  };
}

const bare: Partial<DspConfig> = { dcRemoval: false, echoCancellation: false, noiseSuppression: false, gainControl: false, vad: false };

/** Deterministic Gaussian white noise with the given RMS (fraction of full scale). */
function whiteNoise(length: number, rmsLevel: number, seed: number): Float64Array {
  let state = seed;
  const uniform = () => {
    state = (state * 1_103_515_245 + 12_345) % 2 ** 31;
    return (state + 1) / (2 ** 31 + 1);
  };
  return Float64Array.from({ length }, () => Math.sqrt(-2 * Math.log(uniform())) * Math.cos(2 * Math.PI * uniform()) * rmsLevel);
}

interface Scores {
  precision: number;
  recall: number;
}

function score(decisions: boolean[], truth: boolean[]): Scores {
  let tp = 0;
  let fp = 0;
  let fn = 0;
  decisions.forEach((d, i) => {
    if (d && truth[i]) tp++;
    else if (d) fp++;
    else if (truth[i]) fn++;
  });
  return { precision: round3(tp / Math.max(1, tp + fp)), recall: round3(tp / Math.max(1, tp + fn)) };
}

/**
 * VAD precision and recall per 10 ms chunk, against the known speech segments of espeak-ng
 * speech (chunks of the clean speech above -50 dBFS, its words at about -25 dBFS) with white
 * noise added at each SNR. `perChunk` is the engine's decision per chunk, `withHysteresis`
 * the dsp's speech_started/stopped segments (minimum speech and silence) as published.
 */
export function vadScores(clean24k: Int16Array, clean48k: Int16Array, engine: DspEngine, snrsDb: number[]) {
  const chunk = MODEL_RATE_HZ / 100;
  const truth: boolean[] = [];
  let speechPower = 0;
  let speechChunks = 0;
  for (let at = 0; at + chunk <= clean24k.length; at += chunk) {
    let sum = 0;
    for (let i = at; i < at + chunk; i++) sum += ((clean24k[i] as number) / 32768) ** 2;
    const active = sum / chunk > 1e-5;
    truth.push(active);
    if (active) {
      speechPower += sum / chunk;
      speechChunks++;
    }
  }
  const speechRms = Math.sqrt(speechPower / speechChunks);
  const results: Record<string, { perChunk: Scores; withHysteresis: Scores }> = {};
  for (const snrDb of snrsDb) {
    const noiseRms = speechRms / 10 ** (snrDb / 20);
    const noisy = (clean: Int16Array, seed: number) => {
      const noise = whiteNoise(clean.length, noiseRms, seed);
      return Int16Array.from(clean, (v, i) => Math.max(-32768, Math.min(32767, Math.round(v + (noise[i] as number) * 32768))));
    };
    // The engine's own decisions, with the dsp's default processing (noise suppression, gain).
    const processor = backend.createVoiceProcessor({
      engine,
      sampleRateHz: MODEL_RATE_HZ,
      echoCancellation: false,
      echoSuppression: DSP_DEFAULTS.echoSuppression,
      echoTailMs: DSP_DEFAULTS.echoTailMs,
      noiseSuppression: DSP_DEFAULTS.noiseSuppression,
      noiseLevel: DSP_DEFAULTS.noiseLevel,
      gainControl: DSP_DEFAULTS.gainControl,
      gainTargetDbfs: DSP_DEFAULTS.gainTargetDbfs,
      gainMaxDb: DSP_DEFAULTS.gainMaxDb,
      vad: true,
      vadLikelihood: DSP_DEFAULTS.vadLikelihood,
    });
    const input = noisy(clean24k, 7 + snrDb);
    const decisions: boolean[] = [];
    for (let at = 0; at + chunk <= input.length; at += chunk) decisions.push(processor.capture(input.slice(at, at + chunk), 0));
    // The whole dsp at 48 kHz, its VAD events turned back into per-chunk decisions.
    const { dsp, vad } = chain({ engine, echoCancellation: false });
    const startUs = 1_000_000;
    for (const frame of toFrames(noisy(clean48k, 11 + snrDb), 48_000, 1, 20, startUs)) dsp.microphone(frame);
    dsp.stop();
    const segments: boolean[] = truth.map(() => false);
    for (let i = 0; i < vad.length; i += 2) {
      const from = Math.round(((vad[i] as { timeUs: number }).timeUs - startUs) / 10_000);
      const to = vad[i + 1] === undefined ? segments.length : Math.round(((vad[i + 1] as { timeUs: number }).timeUs - startUs) / 10_000);
      for (let c = Math.max(0, from); c < Math.min(segments.length, to); c++) segments[c] = true;
    }
    results[`snr${snrDb}dB`] = { perChunk: score(decisions, truth), withHysteresis: score(segments, truth) };
  }
  return results;
}

/**
 * Cost: CPU time of the dsp chain per second of audio (the real-time factor), for a stereo
 * 48 kHz microphone with the reference played at 48 kHz stereo in 10 ms periods, as the
 * services deliver them. Bus decoding and encoding are not included (bench:bus has those).
 */
export function realTimeFactor(talk48k: Int16Array, engine: DspEngine, config: Partial<DspConfig>): number {
  const seconds = 30;
  const length = 48_000 * seconds;
  const mono = Int16Array.from({ length }, (_, i) => talk48k[i % talk48k.length] as number);
  const stereo = new Int16Array(length * 2);
  for (let i = 0; i < length; i++) stereo[2 * i] = stereo[2 * i + 1] = mono[i] as number;
  const mic = toFrames(stereo, 48_000, 2, 20);
  const played = toFrames(stereo, 48_000, 2, 10);
  const { dsp } = chain({ engine, ...config });
  const before = process.cpuUsage();
  let next = 0;
  for (const frame of mic) {
    while (next < played.length && (played[next] as AudioFrame).captureTimeUs <= frame.captureTimeUs + 20_000) dsp.played(played[next++] as AudioFrame);
    dsp.microphone(frame);
  }
  const used = process.cpuUsage(before);
  return round3((used.user + used.system) / 1e6 / seconds);
}

