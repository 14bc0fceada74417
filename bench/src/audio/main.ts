import '../lib/no-leftovers.js';
import { type ChildProcess, spawn } from 'node:child_process';
import mqtt from 'mqtt';
import { decodeAudioFrame, encodeAudioFrame } from '@voxbus/shared';
import { loudSpans, samples, sine, speech, startVirtualBoard } from '@voxbus/shared/testing';
import { cpuTimeMs, memoryOf, startAedesService, startService } from '../lib/processes.js';
import { writeResults } from '../lib/results.js';
import { percentiles, round3 } from '../lib/stats.js';

/**
 * npm run bench:audio — audio-capture and playback as their own processes on the virtual
 * board (real ALSA through PulseAudio null sinks, real time), the voxbus broker between them
 * and this process. Over BENCH_AUDIO_SECONDS (default 60):
 *  - microphone → bus: each audio/mic frame's arrival here minus the capture time of its last
 *    sample (when the ALSA period that completed it ended), while speech plays into the mic;
 *  - bus → speaker: a tone burst published on audio/output, to its first sample in a recording
 *    of the virtual speaker; bus → device: to when the audio thread wrote that sample into ALSA;
 *  - flush → silence: a flush command published mid-tone, to the end of the tone in the recording;
 *  - xruns, lost frames and the services' PSS at the end of the run.
 * Then the same again with one of the two cores kept spinning by a load generator, as a board is
 * never idle: the device buffer's headroom is what keeps the speaker from underrunning there.
 * BENCH_AUDIO_LOADS=quiet (or busy) runs only one; BENCH_AUDIO_BUFFER_PERIODS compares a
 * device buffer other than playback's default.
 */
const SECONDS = Number(process.env.BENCH_AUDIO_SECONDS ?? 60);
const LOADS = (process.env.BENCH_AUDIO_LOADS ?? 'quiet,busy').split(',');
const CYCLE_MS = 2500;
const RATE_HZ = 24_000;
const PERIOD_MS = 10;
/** Playback's ALSA period (capture keeps `PERIOD_MS`): a shorter one asks PulseAudio for a shorter queue. */
const PLAYBACK_PERIOD_MS = Number(process.env.BENCH_AUDIO_PLAYBACK_PERIOD_MS ?? PERIOD_MS);
/** playback's default (services/playback/src/config.ts). */
const BUFFER_PERIODS = Number(process.env.BENCH_AUDIO_BUFFER_PERIODS ?? 3);

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const nowUs = () => Number(process.hrtime.bigint() / 1000n);


/** Each item its own response, as the model's replies are: a flush drops the rest of the flushed item's response, late frames included (so ids stay unique over every run of the benchmark). */
function outputFrames(itemId: string, pcm: Buffer): Buffer[] {
  const frames: Buffer[] = [];
  for (let offset = 0; offset * 2 < pcm.length; offset += 480) {
    frames.push(
      encodeAudioFrame({
        sampleRateHz: RATE_HZ,
        channels: 1,
        sampleFormat: 's16le',
        sequence: frames.length,
        captureTimeUs: nowUs(),
        item: { responseId: `resp_${itemId}`, itemId, sampleOffset: offset },
        pcm: pcm.subarray(offset * 2, (offset + 480) * 2),
      }),
    );
  }
  return frames;
}

function summary(values: number[]) {
  const [p50, p99] = percentiles(values, [50, 99]);
  return { p50_ms: round3(p50 as number), p99_ms: round3(p99 as number), max_ms: round3(Math.max(...values)), n: values.length };
}

const board = await startVirtualBoard();
const broker = await startAedesService();
const deviceEnv = {
  ...board.env,
  VOXBUS_BUS__URL: broker.url,
};
const capture = startService('audio-capture', {
  ...deviceEnv,
  VOXBUS_AUDIO_CAPTURE__DEVICE: board.micDevice,
  VOXBUS_AUDIO_CAPTURE__SAMPLE_RATE_HZ: '48000',
  VOXBUS_AUDIO_CAPTURE__PERIOD_MS: String(PERIOD_MS),
});
const playback = startService('playback', {
  ...deviceEnv,
  VOXBUS_PLAYBACK__DEVICE: board.speakerDevice,
  VOXBUS_PLAYBACK__PERIOD_MS: String(PLAYBACK_PERIOD_MS),
  VOXBUS_PLAYBACK__BUFFER_PERIODS: String(BUFFER_PERIODS),
  // The jitter buffer is a chosen delay, reported separately; without it the pipeline is measured.
  VOXBUS_PLAYBACK__JITTER_MS: '0',
});

const client = await mqtt.connectAsync(broker.url, { protocolVersion: 4 });

// A dropped connection is said, not thrown as a bare uncaught ECONNRESET.

client.on('error', (error) => console.error(`bench: the observing MQTT client: ${error.message}`));
const micLatenciesMs: number[] = [];
const micSequences: number[] = [];
const metrics: Record<string, { counters: Record<string, number>; process: { pssBytes: number | null; cpuUserUs: number; cpuSystemUs: number } }> = {};
const states: Record<string, string> = {};
/** Burst item id → when its first sample entered the device (from playback's `started` event). */
const enteredDeviceUs = new Map<string, number>();
client.on('message', (topic, payload) => {
  if (topic === 'voxbus/audio/mic') {
    const frame = decodeAudioFrame(payload);
    const frameUs = ((frame.pcm.length / 2 / frame.channels) * 1e6) / frame.sampleRateHz;
    micLatenciesMs.push((nowUs() - (frame.captureTimeUs + frameUs)) / 1000);
    micSequences.push(frame.sequence);
  } else if (topic === 'voxbus/playback/event/item') {
    const event = JSON.parse(payload.toString()) as { kind: string; itemId: string; enteredDeviceUs: number | null };
    if (event.kind === 'started' && event.enteredDeviceUs !== null) enteredDeviceUs.set(event.itemId, event.enteredDeviceUs);
  } else if (topic.endsWith('/metrics')) {
    metrics[topic.split('/')[1] as string] = JSON.parse(payload.toString());
  } else if (topic.endsWith('/state')) {
    states[topic.split('/')[1] as string] = (JSON.parse(payload.toString()) as { state: string }).state;
  }
});
await client.subscribeAsync(['voxbus/audio/mic', 'voxbus/+/metrics', 'voxbus/+/state', 'voxbus/playback/event/item'], { qos: 0 });
for (const deadline = Date.now() + 20_000; states['audio-capture'] !== 'capturing' || states.playback !== 'idle'; ) {
  if (Date.now() > deadline) throw new Error(`services not ready: ${JSON.stringify(states)}`);
  await sleep(100);
}
await sleep(500);
micLatenciesMs.length = 0;
micSequences.length = 0;

// Speech into the microphone for the whole run, as a person talking.
const talk = await speech('This is the board listening while it also speaks, for a minute, to count every glitch.', 48_000);
let talking = true;
const talker = (async () => {
  while (talking) await board.speak(talk, 48_000);
})();

const counter = (service: string, name: string): number => metrics[service]?.counters[name] ?? 0;

/** One run of SECONDS: bursts and flushes on the speaker while the microphone hears speech; counters as differences over the run. */
async function measure(load: 'quiet' | 'one core busy', run: number) {
  // The load generator spins, and looks up now and then whether the benchmark still lives.
  let hog: ChildProcess | undefined;
  if (load !== 'quiet') hog = spawn(process.execPath, ['-e', 'const parent = process.ppid; for (;;) { for (let i = 0; i < 1e7; i++); if (process.ppid !== parent) process.exit(0); }'], { stdio: 'ignore' });
  try {
    process.stderr.write(`bench:audio ${SECONDS} s on the virtual board, ${load}…\n`);
    await sleep(500);
    micLatenciesMs.length = 0;
    micSequences.length = 0;
    const xrunsBefore = { capture: counter('audio-capture', 'device.xruns'), playback: counter('playback', 'device.xruns') };
    const lostBefore = counter('audio-capture', 'frames.lostFrames');
    const recorder = board.recordSpeaker(RATE_HZ);
    await sleep(300);
    const cpuBefore = { capture: cpuTimeMs(capture.pid as number), playback: cpuTimeMs(playback.pid as number) };
    const startedMs = Date.now();
    const bursts: number[] = [];
    const flushes: number[] = [];
    const tone = sine(RATE_HZ, 0.2, 660, 0.5);
    const longTone = sine(RATE_HZ, 3, 440, 0.5);
    for (let cycle = 0; (cycle + 1) * CYCLE_MS <= SECONDS * 1000; cycle++) {
      const cycleStart = startedMs + cycle * CYCLE_MS;
      await sleep(Math.max(0, cycleStart - Date.now()));
      // A short reply arriving all at once (the realtime service sends faster than real time).
      const burst = outputFrames(`burst_${run}_${cycle}`, tone);
      bursts.push(nowUs());
      for (const frame of burst) client.publish('voxbus/audio/output', frame, { qos: 0 });
      await sleep(800);
      for (const frame of outputFrames(`long_${run}_${cycle}`, longTone)) client.publish('voxbus/audio/output', frame, { qos: 0 });
      await sleep(400 + (cycle % 5) * 37); // flush at varying points within a period
      flushes.push(nowUs());
      client.publish('voxbus/playback/cmd/flush', '{}', { qos: 0 });
    }
    const elapsedMs = Date.now() - startedMs;
    // Long enough for the next metrics of both services (their counters) to arrive.
    await sleep(2500);
    const cpu = {
      capture: ((cpuTimeMs(capture.pid as number) - cpuBefore.capture) / elapsedMs) * 100,
      playback: ((cpuTimeMs(playback.pid as number) - cpuBefore.playback) / elapsedMs) * 100,
    };
    const recording = await recorder.stop();

    // The recording, as sound spans on the monotonic clock: each sample placed by the chunks that
    // arrived soon after it (placing them all by the first chunk drifts ~0.06 %: 35 ms in a minute).
    const spans = loudSpans(samples(recording.pcm), 0.01, RATE_HZ / 50).map(([start, end]) => ({
      startUs: recording.sampleTimeUs(start),
      endUs: recording.sampleTimeUs(end),
    }));
    const busToSpeakerMs = bursts.flatMap((sentUs) => {
      const span = spans.find((s) => s.startUs >= sentUs - 5000);
      return span === undefined ? [] : [(span.startUs - sentUs) / 1000];
    });
    const flushToSilenceMs = flushes.flatMap((flushUs) => {
      const span = spans.find((s) => s.startUs < flushUs && s.endUs >= flushUs - 5000);
      return span === undefined ? [] : [(span.endUs - flushUs) / 1000];
    });
    const busToDeviceMs = bursts.flatMap((sentUs, cycle) => {
      const entered = enteredDeviceUs.get(`burst_${run}_${cycle}`);
      return entered === undefined ? [] : [(entered - sentUs) / 1000];
    });
    const gaps = micSequences.slice(1).filter((sequence, i) => sequence !== ((micSequences[i] as number) + 1) % 2 ** 32).length;
    return {
      load,
      secondsMeasured: round3(elapsedMs / 1000),
      micToBus: { ...summary(micLatenciesMs), description: 'audio/mic frame received by a subscriber − capture time of its last sample' },
      busToSpeaker: { ...summary(busToSpeakerMs), description: 'tone burst published on audio/output → its first sample in the recording of the speaker' },
      busToDevice: {
        ...summary(busToDeviceMs),
        description: "tone burst published on audio/output → its first sample written into ALSA (the audio thread's timestamp, in playback's `started` event)",
      },
      deviceDelayReportedMs: {
        value: round3((counter('playback', 'device.delayFrames') * 1000) / 48_000),
        description: 'snd_pcm_delay as the ALSA pulse plugin reports it (device buffer plus the sound server)',
      },
      flushToSilence: { ...summary(flushToSilenceMs), description: 'flush command published → the end of the tone in the recording' },
      xruns: { capture: counter('audio-capture', 'device.xruns') - xrunsBefore.capture, playback: counter('playback', 'device.xruns') - xrunsBefore.playback },
      micFrames: { received: micSequences.length, sequenceGaps: gaps, lostFrames: counter('audio-capture', 'frames.lostFrames') - lostBefore },
      cpuPercent: { capture: round3(cpu.capture), playback: round3(cpu.playback) },
    };
  } finally {
    hog?.kill('SIGKILL');
  }
}

const runs = [];
for (const load of (['quiet', 'one core busy'] as const).filter((l) => LOADS.includes(l === 'quiet' ? 'quiet' : 'busy'))) runs.push(await measure(load, runs.length));
talking = false;
await talker.catch(() => {});
const memory = { capture: memoryOf(capture.pid as number), playback: memoryOf(playback.pid as number) };

client.end(true);
capture.kill('SIGTERM');
playback.kill('SIGTERM');
await Promise.all([capture, playback].map((child) => new Promise((resolve) => child.once('exit', resolve))));
await broker.stop();
await board.stop();

const result = {
  device: { periodMs: PERIOD_MS, playbackPeriodMs: PLAYBACK_PERIOD_MS, bufferPeriods: BUFFER_PERIODS, playbackJitterMs: 0, captureRateHz: 48_000, frameMs: 20 },
  runs,
  pssBytes: { capture: memory.capture.pssBytes, playback: memory.playback.pssBytes },
  method:
    'audio-capture and playback as separate processes on the virtual board (PulseAudio null sinks via the ALSA pulse plugin), Aedes broker; recording of the speaker by parec at 10 ms latency, each sample placed on CLOCK_MONOTONIC by the chunks that arrived within a second after it; once quiet and once with a load generator spinning on one of the two cores; counters are differences over each run',
};
for (const run of runs) {
  console.log(`\naudio on the virtual board, ${run.load}, ${run.secondsMeasured} s, period ${PERIOD_MS} ms (playback ${PLAYBACK_PERIOD_MS} ms), device buffer ${BUFFER_PERIODS} periods\n`);
  console.log('measure                 p50 ms   p99 ms   max ms     n');
  for (const [name, r] of [
    ['microphone → bus', run.micToBus],
    ['bus → speaker', run.busToSpeaker],
    ['bus → device', run.busToDevice],
    ['flush → silence', run.flushToSilence],
  ] as const) {
    console.log(`${name.padEnd(22)} ${r.p50_ms.toFixed(1).padStart(7)} ${r.p99_ms.toFixed(1).padStart(8)} ${r.max_ms.toFixed(1).padStart(8)} ${String(r.n).padStart(5)}`);
  }
  console.log(`device delay reported ${run.deviceDelayReportedMs.value.toFixed(1)} ms`);
  console.log(`xruns: capture ${run.xruns.capture}, playback ${run.xruns.playback}; mic frames ${run.micFrames.received}, sequence gaps ${run.micFrames.sequenceGaps}`);
  console.log(`CPU: capture ${run.cpuPercent.capture.toFixed(1)} %, playback ${run.cpuPercent.playback.toFixed(1)} %`);
}
console.log(`PSS: capture ${((result.pssBytes.capture ?? 0) / 2 ** 20).toFixed(1)} MiB, playback ${((result.pssBytes.playback ?? 0) / 2 ** 20).toFixed(1)} MiB`);
console.log(`\nwrote ${writeResults('audio', result)}`);
