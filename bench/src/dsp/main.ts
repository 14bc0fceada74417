import '../lib/no-leftovers.js';
import { DSP_DEFAULTS } from '@voxbus/dsp-service/config';
import { samples, speech, startVirtualBoard } from '@voxbus/shared/testing';
import { writeResults } from '../lib/results.js';
import { type EchoFigure, measureOurs, measurePulseAudio } from './echo.js';
import { round3 } from '../lib/stats.js';
import { dcRemoval, engines, realTimeFactor, resamplerSnr, vadScores } from './offline.js';

/**
 * npm run bench:dsp — the dsp chain measured on signals generated in the run:
 *  - resampler: SNR of a 1 kHz sine from 48 kHz and from 16 kHz to 24 kHz, frame by frame;
 *  - DC removal: the offset left 200 ms after a -20 dBFS step, and how long it takes to settle;
 *  - echo cancellation: ERLE after convergence on speech played through the virtual board's
 *    acoustic echo path (audio-capture, playback and dsp as their own processes), beside
 *    PulseAudio's own module-echo-cancel (webrtc) on the same board and signal;
 *  - VAD: precision and recall per 10 ms on espeak-ng speech with white noise at 20, 10, 0 dB SNR;
 *  - cost: CPU seconds per second of audio for the whole chain.
 */
const SETTLE_MS = Number(process.env.BENCH_DSP_SETTLE_MS ?? 4000);
/** The board's echo path (PulseAudio's loopback, which adapts its rate) varies from run to run: each figure is the median of this many runs, ours and PulseAudio's interleaved. */
const REPEATS = Number(process.env.BENCH_DSP_REPEATS ?? 3);

const sentences = [
  'Good morning. The weather today is mostly sunny, with a light breeze from the west.',
  'Your first meeting starts at nine thirty, and the train is running five minutes late.',
  'I have turned on the kitchen lights and set the thermostat to twenty one degrees.',
  'Would you like me to read the news, or play some music while you make breakfast?',
];
const say = async (rateHz: number) => {
  const pause = Buffer.alloc(rateHz); // half a second
  return Buffer.concat((await Promise.all(sentences.map((s) => speech(s, rateHz)))).flatMap((part) => [part, pause]));
};
const talk24k = await say(24_000);
const talk48k = await say(48_000);
process.stderr.write(`bench:dsp: ${(talk24k.length / 48_000).toFixed(1)} s of speech; engines ${engines.join(', ')}\n`);

const resampler = { quality: DSP_DEFAULTS.resampleQuality, snr: resamplerSnr(DSP_DEFAULTS.resampleQuality) };
const dc = { cutoffHz: DSP_DEFAULTS.highPassHz, ...dcRemoval(DSP_DEFAULTS.highPassHz) };

const vad: Record<string, unknown> = {};
for (const engine of engines) vad[engine] = vadScores(samples(talk24k), samples(talk48k), engine, [20, 10, 0]);

const cost: Record<string, unknown> = {};
for (const engine of engines) {
  cost[engine] = {
    allStages: realTimeFactor(samples(talk48k), engine, {}),
    withoutEchoCancellation: realTimeFactor(samples(talk48k), engine, { echoCancellation: false }),
  };
}

process.stderr.write('bench:dsp: echo cancellation on the virtual board…\n');
const board = await startVirtualBoard();
await board.setEcho({ delayMs: 40, gainDb: 0 });
const runs: Record<string, EchoFigure[]> = {};
const measure = async (name: string, run: () => Promise<EchoFigure>) => {
  const figure = await run();
  runs[name] = [...(runs[name] ?? []), figure];
};
try {
  const aecOnly = { VOXBUS_DSP__NOISE_SUPPRESSION: 'false', VOXBUS_DSP__GAIN_CONTROL: 'false', VOXBUS_DSP__VAD: 'false' };
  const withNs = { VOXBUS_DSP__GAIN_CONTROL: 'false', VOXBUS_DSP__VAD: 'false' };
  for (let repeat = 0; repeat < REPEATS; repeat++) {
    process.stderr.write(`bench:dsp: echo round ${repeat + 1} of ${REPEATS}\n`);
    for (const engine of engines) {
      // The speex engine is the fallback; one round of it is enough to show where it stands.
      if (engine !== engines[0] && repeat > 0) continue;
      await measure(`voxbus_${engine}_aecOnly`, () => measureOurs(board, talk24k, SETTLE_MS, { ...aecOnly, VOXBUS_DSP__ENGINE: engine }));
      await measure(`voxbus_${engine}_withNoiseSuppression`, () => measureOurs(board, talk24k, SETTLE_MS, { ...withNs, VOXBUS_DSP__ENGINE: engine }));
    }
    await measure('pulseaudio_webrtc_aecOnly', () => measurePulseAudio(board, talk24k, SETTLE_MS, 'analog_gain_control=0 digital_gain_control=0 noise_suppression=0'));
    await measure('pulseaudio_webrtc_withNoiseSuppression', () => measurePulseAudio(board, talk24k, SETTLE_MS, 'analog_gain_control=0 digital_gain_control=0 noise_suppression=1'));
  }
} finally {
  await board.stop();
}
const echo = Object.fromEntries(
  Object.entries(runs).map(([name, list]) => {
    const sorted = list.map((run) => run.erleDb).sort((a, b) => a - b);
    return [name, { medianErleDb: round3(sorted[Math.floor(sorted.length / 2)] as number), runs: list.map((run) => ({ ...run, erleDb: round3(run.erleDb) })) }];
  }),
);

const result = {
  resampler,
  dcRemoval: dc,
  echoCancellation: {
    ...echo,
    method: `speech (${(talk24k.length / 48_000).toFixed(1)} s) played as assistant audio through the virtual board, whose PulseAudio loopback (40 ms) carries the speaker into the microphone; ERLE = energy of the microphone over energy left, in 100 ms blocks holding echo (above -50 dBFS), after the first ${SETTLE_MS} ms. Ours: audio/mic against audio/input on the capture clock, every service its own process. PulseAudio: module-echo-cancel aec_method=webrtc between the same sink and source, its raw and cancelled sources recorded side by side. Gain control off in both (it would raise the residual).`,
  },
  vad: { ...vad, method: 'white Gaussian noise added at the SNR (speech RMS over its active chunks); truth: chunks where the clean speech is above -50 dBFS; perChunk: the engine with the dsp defaults (noise suppression and gain on); withHysteresis: the dsp chain at 48 kHz, its speech_started/stopped segments' },
  cost: { ...cost, unit: 'CPU seconds per second of audio (real-time factor), one core, stereo 48 kHz microphone and reference', note: 'the dsp logic only; the service adds bus decoding and encoding' },
};

console.log('\ndsp, measured on signals generated in this run\n');
console.log(`resampler (quality ${resampler.quality}): 1 kHz sine SNR ${resampler.snr.from48kHz_dB} dB from 48 kHz, ${resampler.snr.from16kHz_dB} dB from 16 kHz`);
console.log(
  `DC removal (${dc.cutoffHz} Hz), offset left after a -20 dBFS step: ${Object.entries(dc.residualDbfsAfterMs).map(([ms, db]) => `${ms} ms ${db} dBFS`).join(', ')}`,
);
console.log('\necho cancellation (ERLE after convergence; median of the runs, then each run)');
for (const [name, figure] of Object.entries(echo)) {
  const each = figure.runs.map((run) => {
    const ours = run as EchoFigure & { convergedAfterMs?: number | null };
    return ours.convergedAfterMs === undefined ? run.erleDb.toFixed(1) : `${run.erleDb.toFixed(1)} (converged after ${ours.convergedAfterMs ?? '—'} ms)`;
  });
  console.log(`  ${name.padEnd(40)} ${figure.medianErleDb.toFixed(1).padStart(6)} dB   ${each.join(', ')}`);
}
console.log('\nVAD precision / recall per 10 ms');
for (const engine of engines) {
  for (const [snr, s] of Object.entries(vad[engine] as Record<string, { perChunk: { precision: number; recall: number }; withHysteresis: { precision: number; recall: number } }>)) {
    console.log(`  ${engine.padEnd(7)} ${snr.padEnd(8)} per chunk ${s.perChunk.precision.toFixed(2)} / ${s.perChunk.recall.toFixed(2)}   with hysteresis ${s.withHysteresis.precision.toFixed(2)} / ${s.withHysteresis.recall.toFixed(2)}`);
  }
}
console.log('\ncost (CPU s per s of audio)');
for (const [engine, c] of Object.entries(cost)) console.log(`  ${engine.padEnd(7)} all stages ${(c as { allStages: number }).allStages}, without echo cancellation ${(c as { withoutEchoCancellation: number }).withoutEchoCancellation}`);
console.log(`\nwrote ${writeResults('dsp', { ...result, generatedBy: 'npm run bench:dsp' })}`);
