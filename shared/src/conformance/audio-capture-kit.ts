import { randomBytes } from 'node:crypto';
import { type AudioFrame, frameDurationMs } from '../audio/frame-codec.js';
import { judgeClosingRules, judgeDescribe, judgeOnline, streamContinuity } from './common-rules.js';
import { type KitOptions, nowUs, sleep } from './kit.js';
import type { BusObserver, SeenMessage } from './observer.js';
import type { Verdicts } from './report.js';

export const AUDIO_CAPTURE_SCENARIOS = ['startup', 'mute'] as const;
export type AudioCaptureScenario = (typeof AUDIO_CAPTURE_SCENARIOS)[number];

export type AudioCaptureKitOptions = KitOptions<AudioCaptureScenario>;

/** A frame is stamped when its first sample was captured: it reaches the kit a frame, a period and a bus hop later. */
const STAMP_LATE_MAX_MS = 500;

/**
 * Drives a running audio-capture over the bus: its status and state, the microphone stream
 * (continuous, in the granted format, stamped on the shared monotonic clock), and mute.
 */
export async function runAudioCaptureKit(bus: BusObserver, verdicts: Verdicts, options: AudioCaptureKitOptions): Promise<void> {
  try {
    await runScenarios(bus, verdicts, options);
  } finally {
    const own = (topic: string) => topic.startsWith(`${bus.baseTopic}/audio-capture/`) || topic === `${bus.baseTopic}/audio/mic`;
    await judgeClosingRules(bus, verdicts, 'audio-capture', own, options.metricsTimeoutMs);
  }
}

async function runScenarios(bus: BusObserver, verdicts: Verdicts, options: AudioCaptureKitOptions): Promise<void> {
  const run = randomBytes(3).toString('hex');
  const mic = (from: number): (SeenMessage & { payload: AudioFrame })[] => bus.select('audio.mic', from);

  await judgeOnline(bus, verdicts, 'audio-capture', options.startTimeoutMs);
  const capturing = await bus.waitFor('audio-capture.state', (s) => s.state === 'capturing' && s.granted !== null, options.startTimeoutMs);
  const kept = (await bus.retainedNow(`${bus.baseTopic}/audio-capture/state`)) as { state: string } | undefined;
  const last = bus.select('audio-capture.state').at(-1)?.payload;
  verdicts.judge(
    'state.capturing',
    capturing !== undefined && kept?.state === 'capturing',
    capturing === undefined
      ? `no audio-capture/state capturing with a granted device within ${options.startTimeoutMs} ms (last: ${last ? `${last.state}, error ${JSON.stringify(last.error)}` : 'none'})`
      : `capturing from ${capturing.payload.granted?.device}: ${capturing.payload.granted?.sampleRateHz} Hz, ${capturing.payload.granted?.channels} ch, ${capturing.payload.granted?.sampleFormat}; retained: ${kept?.state ?? 'nothing'}`,
  );
  if (!capturing) return;
  const granted = capturing.payload.granted;
  await judgeDescribe(bus, verdicts, 'audio-capture', `kit-${run}`);

  const from = bus.mark;
  await sleep(1000);
  const frames = mic(from);
  const { ms, gaps, jumps } = streamContinuity(frames);
  const lengths = new Set(frames.map((m) => Math.round(frameDurationMs(m.payload))));
  const wrongFormat = frames.filter(
    (m) => m.payload.sampleRateHz !== granted?.sampleRateHz || m.payload.channels !== granted.channels || m.payload.sampleFormat !== granted.sampleFormat,
  ).length;
  const frameMs = [...lengths][0] ?? 0;
  verdicts.judge(
    'mic.continuous',
    ms >= 800 && gaps === 0 && jumps === 0 && lengths.size === 1 && frameMs % 10 === 0 && wrongFormat === 0,
    `1000 ms: ${frames.length} audio/mic frames covering ${ms} ms (≥ 800 wanted), ${gaps} sequence gaps, ${jumps} time jumps over 5 ms, frame lengths ${[...lengths].join('/')} ms (one, a multiple of 10, wanted), ${wrongFormat} not in the granted format`,
  );
  const lateMs = frames.map((m) => (m.atMs - Date.now()) + (nowUs() - m.payload.captureTimeUs) / 1000);
  const worstMs = lateMs.length === 0 ? Number.NaN : Math.max(...lateMs.map(Math.abs));
  verdicts.judge(
    'mic.timestamps',
    lateMs.length > 0 && lateMs.every((late) => late >= 0 && late <= STAMP_LATE_MAX_MS),
    `each frame arrived 0–${STAMP_LATE_MAX_MS} ms after its captureTimeUs on CLOCK_MONOTONIC (wanted); the furthest was ${Number.isNaN(worstMs) ? 'none' : `${Math.round(worstMs)} ms`}`,
  );

  if (new Set(options.scenarios).has('mute')) {
    const muteMark = bus.mark;
    await bus.publish('audio-capture.cmd.mute', {}, {});
    const muted = await bus.waitFor('audio-capture.state', (s) => s.state === 'muted', 2000, muteMark);
    await sleep(200);
    const silentFrom = bus.mark;
    await sleep(500);
    const whileMuted = mic(silentFrom).length;
    const unmuteMark = bus.mark;
    await bus.publish('audio-capture.cmd.unmute', {}, {});
    const again = await bus.waitFor('audio-capture.state', (s) => s.state === 'capturing', 2000, unmuteMark);
    const resumed = await bus.waitFor('audio.mic', () => true, 1000, unmuteMark);
    verdicts.judge(
      'mute.stops',
      muted !== undefined && whileMuted === 0 && again !== undefined && resumed !== undefined,
      `${muted ? 'state muted' : 'state never muted'}; ${whileMuted} frames from 200 to 700 ms after the mute (0 wanted); ${again ? 'capturing again on unmute' : 'state not capturing after unmute'}, ${resumed ? 'frames again' : 'no frames within 1000 ms of unmute'}`,
    );
  }
}
