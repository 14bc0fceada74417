import { randomBytes } from 'node:crypto';
import { type AudioFrame, frameDurationMs } from '../audio/frame-codec.js';
import { judgeClosingRules, judgeDescribe, judgeOnline, streamContinuity } from './common-rules.js';
import { type KitOptions, nowUs, sleep } from './kit.js';
import type { BusObserver, SeenMessage } from './observer.js';
import type { Verdicts } from './report.js';
import { levelDbfs } from './signal.js';

export const DSP_SCENARIOS = ['startup', 'mute'] as const;
export type DspScenario = (typeof DSP_SCENARIOS)[number];

export type DspKitOptions = KitOptions<DspScenario>;

/** The kit's microphone: 48 kHz stereo, as many USB microphones give it, so resampling and downmix are exercised. */
const MIC_RATE_HZ = 48_000;
const MIC_CHANNELS = 2;
const MIC_FRAME_MS = 20;
/** A microphone frame reaches the model's input within this (a frame, the chain's own block, a bus hop or two). */
const INPUT_LATE_MAX_MS = 200;

/**
 * A microphone as audio-capture publishes it, in real time: a 440 Hz tone at −20 dBFS (or
 * silence), 20 ms frames stamped on the shared monotonic clock. Returns a stop function.
 */
function microphone(bus: BusObserver, loud: () => boolean): () => void {
  const samples = (MIC_RATE_HZ * MIC_FRAME_MS) / 1000;
  const amplitude = 0.1 * 32767 * Math.SQRT2;
  let sequence = 0;
  let phase = 0;
  let nextUs = nowUs();
  const timer = setInterval(() => {
    // Catch up in whole frames, so the stream's clock stays the sample count however the timer runs.
    while (nextUs <= nowUs()) {
      const pcm = Buffer.alloc(samples * MIC_CHANNELS * 2);
      for (let i = 0; i < samples; i++) {
        const value = loud() ? Math.round(amplitude * Math.sin(phase)) : 0;
        phase += (2 * Math.PI * 440) / MIC_RATE_HZ;
        for (let channel = 0; channel < MIC_CHANNELS; channel++) pcm.writeInt16LE(value, (i * MIC_CHANNELS + channel) * 2);
      }
      const frame: AudioFrame = { sampleRateHz: MIC_RATE_HZ, channels: MIC_CHANNELS, sampleFormat: 's16le', sequence: sequence++, captureTimeUs: nextUs, pcm };
      void bus.publish('audio.mic', {}, frame);
      nextUs += MIC_FRAME_MS * 1000;
    }
  }, 5);
  return () => clearInterval(timer);
}

/**
 * Drives a running dsp with a microphone stream over the bus and judges what it makes of it: the
 * model-ready `audio/input`, its state and levels, and mute. What the chain does to the sound (echo
 * cancellation, noise suppression) is the dsp's own business and not judged here.
 */
export async function runDspKit(bus: BusObserver, verdicts: Verdicts, options: DspKitOptions): Promise<void> {
  let stopMic = () => {};
  try {
    stopMic = await runScenarios(bus, verdicts, options);
  } finally {
    stopMic();
    const own = (topic: string) => topic.startsWith(`${bus.baseTopic}/dsp/`) || topic === `${bus.baseTopic}/audio/input`;
    await judgeClosingRules(bus, verdicts, 'dsp', own, options.metricsTimeoutMs);
  }
}

async function runScenarios(bus: BusObserver, verdicts: Verdicts, options: DspKitOptions): Promise<() => void> {
  const run = randomBytes(3).toString('hex');
  const input = (from: number): (SeenMessage & { payload: AudioFrame })[] => bus.select('audio.input', from);

  if (!(await judgeOnline(bus, verdicts, 'dsp', options.startTimeoutMs))) return () => {};
  await judgeDescribe(bus, verdicts, 'dsp', `kit-${run}`);

  const micFrom = bus.mark;
  const stopMic = microphone(bus, () => true);
  const running = await bus.waitFor('dsp.state', (s) => s.state === 'running' && s.input !== null, 3000, micFrom);
  const last = bus.select('dsp.state').at(-1)?.payload;
  verdicts.judge(
    'state.running',
    running !== undefined && running.payload.input?.sampleRateHz === MIC_RATE_HZ && running.payload.input.channels === MIC_CHANNELS,
    running === undefined
      ? `no dsp/state running within 3000 ms of a ${MIC_RATE_HZ} Hz ${MIC_CHANNELS}-channel microphone (last: ${last ? last.state : 'none'})`
      : `running on ${running.payload.input?.sampleRateHz} Hz, ${running.payload.input?.channels} ch, ${running.payload.input?.sampleFormat} (the kit's microphone: ${MIC_RATE_HZ} Hz, ${MIC_CHANNELS} ch, s16le); engine ${running.payload.engine}`,
  );

  await sleep(500);
  const from = bus.mark;
  await sleep(1000);
  const frames = input(from);
  const { ms, gaps, jumps } = streamContinuity(frames);
  const lengths = new Set(frames.map((m) => Math.round(frameDurationMs(m.payload))));
  verdicts.judge(
    'input.continuous',
    ms >= 800 && gaps === 0 && jumps === 0 && lengths.size === 1 && [...lengths][0] === 20,
    `1000 ms of microphone: ${frames.length} audio/input frames covering ${ms} ms (≥ 800 wanted), ${gaps} sequence gaps, ${jumps} time jumps over 5 ms, frame lengths ${[...lengths].join('/') || 'none'} ms (20 wanted)`,
  );
  const lateMs = frames.map((m) => m.atMs - Date.now() + (nowUs() - m.payload.captureTimeUs) / 1000);
  verdicts.judge(
    'input.timely',
    lateMs.length > 0 && lateMs.every((late) => late >= -25 && late <= INPUT_LATE_MAX_MS),
    lateMs.length === 0
      ? 'no audio/input to time'
      : `each frame arrived ${Math.round(Math.min(...lateMs))}–${Math.round(Math.max(...lateMs))} ms after its captureTimeUs, the microphone's clock (0–${INPUT_LATE_MAX_MS} wanted)`,
  );
  const loudest = frames.length === 0 ? -120 : Math.max(...frames.map((m) => levelDbfs(m.payload)));
  verdicts.judge(
    'input.carries-sound',
    loudest > -60,
    `a 440 Hz tone at −20 dBFS on the microphone: the loudest audio/input frame ${Math.round(loudest)} dBFS (above −60 wanted: the chain may shape it, not lose it)`,
  );
  const levels = bus.select('dsp.event.levels', from).length;
  verdicts.judge('levels.published', levels >= 3, `${levels} dsp/event/levels in 1000 ms of a tone (about 5 wanted, ≥ 3)`);

  if (new Set(options.scenarios).has('mute')) {
    const muteMark = bus.mark;
    await bus.publish('dsp.cmd.mute', {}, {});
    const muted = await bus.waitFor('dsp.state', (s) => s.muted, 2000, muteMark);
    await sleep(200);
    const silentFrom = bus.mark;
    await sleep(500);
    const whileMuted = input(silentFrom).length;
    const unmuteMark = bus.mark;
    await bus.publish('dsp.cmd.unmute', {}, {});
    const unmuted = await bus.waitFor('dsp.state', (s) => !s.muted, 2000, unmuteMark);
    const resumed = await bus.waitFor('audio.input', () => true, 1000, unmuteMark);
    verdicts.judge(
      'mute.withholds',
      muted !== undefined && whileMuted === 0 && unmuted !== undefined && resumed !== undefined,
      `${muted ? 'state muted' : 'state never muted'}; ${whileMuted} audio/input frames from 200 to 700 ms after the mute (0 wanted); ${unmuted ? 'unmuted' : 'state never unmuted'}, ${resumed ? 'input again' : 'no input within 1000 ms of unmute'}`,
    );
  }
  return stopMic;
}
