import type { AudioFrame } from '@voxbus/shared';
import { samples, speech } from '@voxbus/shared/testing';
import { beforeAll, describe, expect, it } from 'vitest';
import { concat, Harness, START_US, toFrames } from './dsp-harness.js';

/**
 * The echo gate in the chain (the native canceller, the gate, the VAD), on a synthetic room:
 * the speaker's sound reaches the microphone 40 ms later at -6 dB, followed by 40 reflections
 * dying away over 300 ms, 14 dB under the direct sound all told (a small room's tail, longer
 * than the canceller's filter).
 */
const RATE_HZ = 24_000;
const CHUNK = RATE_HZ / 100;
/** How much earlier than its stamps a reply sounds in the early-onset case, ms. */
const EARLY_MS = 35;
const powerDb = (values: Int16Array) => {
  let sum = 0;
  for (const value of values) sum += (value / 32768) ** 2;
  return 10 * Math.log10(sum / Math.max(1, values.length) + 1e-12);
};

function lcg(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state * 1_103_515_245 + 12_345) % 2 ** 31;
    return state / 2 ** 31;
  };
}

/** Taps [delay in samples, gain]: the direct sound and the room's reflections. */
function room(delayMs: number, gainDb: number): [number, number][] {
  const random = lcg(11);
  const direct = Math.round((delayMs * RATE_HZ) / 1000);
  const taps: [number, number][] = [[direct, 10 ** (gainDb / 20)]];
  for (let n = 0; n < 40; n++) {
    const afterMs = 5 + random() * 300;
    // -20 dB under the direct sound at first, 60 dB down after 300 ms.
    const level = 10 ** ((gainDb - 20 - (afterMs / 300) * 40) / 20) * (random() < 0.5 ? -1 : 1);
    taps.push([direct + Math.round((afterMs * RATE_HZ) / 1000), level]);
  }
  return taps;
}

function convolve(signal: Int16Array, taps: [number, number][], length = signal.length): Int16Array {
  const out = new Float64Array(length);
  for (const [delay, gain] of taps) for (let i = 0; i + delay < length && i < signal.length; i++) out[i + delay] = (out[i + delay] as number) + (signal[i] as number) * gain;
  return Int16Array.from(out, (v) => Math.max(-32768, Math.min(32767, Math.round(v))));
}

function mix(a: Int16Array, b: Int16Array, at: number): Int16Array {
  const out = Int16Array.from(a);
  for (let i = 0; i < b.length && at + i < out.length; i++) out[at + i] = Math.max(-32768, Math.min(32767, (out[at + i] as number) + (b[i] as number)));
  return out;
}

/** What the speaker played (continuous, silence included) and what the microphone heard, as frames. */
function board(played: Int16Array, heard: Int16Array): { mic: AudioFrame[]; reference: AudioFrame[] } {
  return { mic: toFrames(heard, { sampleRateHz: RATE_HZ }), reference: toFrames(played, { sampleRateHz: RATE_HZ }) };
}

/**
 * The 20 ms frames, from `heardAt` in what the microphone heard and `outAt` in what the model
 * heard, where the echo came through less than 25 dB down: each said with both levels.
 */
function echoLetThrough(heard: Int16Array, heardAt: number, out: Int16Array, outAt: number, frames: number): string[] {
  const frameSamples = RATE_HZ / 50;
  const leaks = [];
  for (let k = 0; k < frames; k++) {
    const micDb = powerDb(heard.subarray(heardAt + k * frameSamples, heardAt + (k + 1) * frameSamples));
    const outDb = powerDb(out.subarray(outAt + k * frameSamples, outAt + (k + 1) * frameSamples));
    if (micDb > -50 && outDb > micDb - 25) leaks.push(`${k * 20} ms: microphone ${micDb.toFixed(1)} dBFS, model ${outDb.toFixed(1)} dBFS`);
  }
  return leaks;
}

let reply: Int16Array;
let voice: Int16Array;

/** The chain (canceller, gate, VAD) over the microphone's frames and the speaker's: the VAD's events. */
function harnessRun(mic: AudioFrame[], reference: AudioFrame[], referenceLeadMs?: number): unknown[] {
  const harness = new Harness({ echoCancellation: true, noiseSuppression: true, gainControl: true, vad: true });
  harness.mic(mic, reference, referenceLeadMs);
  return harness.vad;
}
beforeAll(async () => {
  reply = samples(await speech('You spoke for two seconds. Tomorrow will be mostly sunny in the morning, with clouds building in the afternoon.', RATE_HZ));
  voice = samples(await speech('Wait a moment please', RATE_HZ));
});

describe('the echo gate: a voice told from the echo of the speaker, in a room', () => {
  it('keeps echo alone from the model and the VAD: the reply twice over, not one speech start, the echo 40 dB down, converged with the delay found', () => {
    const played = concat(reply, reply, new Int16Array(RATE_HZ));
    const heard = convolve(played, room(40, -6));
    const harness = new Harness({ echoCancellation: true, noiseSuppression: true, gainControl: true, vad: true });
    const { mic, reference } = board(played, heard);
    harness.mic(mic, reference);
    expect(harness.vad, 'speech starts on echo alone').toEqual([]);
    // Nor a voice begun: with the dsp's VAD taking turns, each would hold the reply for a moment.
    expect(harness.onsets, 'voice onsets on echo alone').toEqual([]);
    const out = harness.output();
    // After the first second (learning), over the second reply and its tail.
    const from = reply.length;
    expect(powerDb(heard.subarray(from)) - powerDb(out.subarray(from))).toBeGreaterThan(40);
    expect(harness.state.echo).toMatchObject({ converged: true });
    expect(Math.abs((harness.state.echo.delayMs ?? 0) - 40)).toBeLessThan(4);
    expect(harness.state.echo.erlDb).toBeGreaterThan(3);
  });

  it('lets a voice over the reply through: the VAD starts where it began (within 500 ms: it needs 150 ms of voice in a row, more than "wait" holds), and the model hears it', () => {
    const played = concat(reply, reply);
    const voiceAt = reply.length + RATE_HZ;
    const heard = mix(convolve(played, room(40, -6)), voice, voiceAt);
    const harness = new Harness({ echoCancellation: true, noiseSuppression: true, gainControl: false, vad: true });
    const { mic, reference } = board(played, heard);
    harness.mic(mic, reference);
    const onsetUs = mic[0]?.captureTimeUs ?? 0;
    const voiceStartUs = onsetUs + ((voiceAt + voice.findIndex((v) => Math.abs(v) > 300)) / RATE_HZ) * 1e6;
    const started = harness.vad.filter((e) => e.kind === 'speech_started');
    expect(started.length, JSON.stringify(harness.vad)).toBe(1);
    // Said as it began, 120 ms of voice before the speech start: where a reply is held.
    expect(harness.onsets.map((o) => o.timeUs), JSON.stringify(harness.onsets)).toContain(started[0]?.timeUs);
    // The VAD's start is where the speech began; it is published once 150 ms of it were heard.
    expect(Math.abs((started[0]?.timeUs ?? 0) - voiceStartUs) / 1000).toBeLessThan(500);
    // Most of the voice reaches the model: within 10 dB of what the microphone heard of it.
    const out = harness.output();
    const voiceSpan = out.subarray(voiceAt, voiceAt + voice.length);
    expect(powerDb(voiceSpan) - powerDb(voice)).toBeGreaterThan(-10);
  });

  it('with a microphone that does not hear the speaker (a headset): no echo to gate, a voice 1.5 s into the very first reply passes (the canceller takes a few dB, the gate nothing), converged', () => {
    const played = concat(reply, reply);
    const voiceAt = Math.round(1.5 * RATE_HZ);
    const heard = mix(new Int16Array(played.length), voice, voiceAt);
    const harness = new Harness({ echoCancellation: true, noiseSuppression: true, vad: true });
    const { mic, reference } = board(played, heard);
    harness.mic(mic, reference);
    expect(harness.state.echo).toMatchObject({ converged: true });
    expect(harness.state.echo.erlDb).toBeGreaterThan(30);
    expect(harness.vad.filter((e) => e.kind === 'speech_started').length).toBe(1);
    const out = harness.output();
    expect(powerDb(out.subarray(voiceAt, voiceAt + voice.length)) - powerDb(voice)).toBeGreaterThan(-10);
  });

  it("does not take the room's tail after the reply ends (or is cut) for a voice", () => {
    // The reply cut in the middle of a word, as a barge-in flushes it: the reference stops dead.
    const cut = reply.subarray(0, Math.round(reply.length * 0.6));
    const played = concat(reply, cut, new Int16Array(RATE_HZ), cut, new Int16Array(RATE_HZ));
    const heard = convolve(played, room(40, -6));
    const harness = new Harness({ echoCancellation: true, noiseSuppression: true, gainControl: true, vad: true });
    const { mic, reference } = board(played, heard);
    harness.mic(mic, reference);
    expect(harness.vad, 'speech starts on the tail').toEqual([]);
  });

  it('a moved speaker (the echo 80 ms later, 6 dB louder): the new delay found within 2 s, the gate relearns (not converged meanwhile) and is converged again within 5 s of that; echo may pass for a voice only until the move is found', () => {
    const played = concat(reply, reply, reply, reply);
    const before = convolve(played, room(40, -6));
    const after = convolve(played, room(120, 0));
    const heard = concat(before.subarray(0, reply.length * 2), after.subarray(reply.length * 2));
    const harness = new Harness({ echoCancellation: true, noiseSuppression: true, gainControl: true, vad: true });
    const { mic, reference } = board(played, heard);
    harness.mic(mic, reference);
    // The fake clock's ms are the capture clock's µs / 1000 (the harness keeps them in step).
    const changeMs = ((mic[0]?.captureTimeUs ?? 0) + ((reply.length * 2) / RATE_HZ) * 1e6) / 1000;
    const states = harness.states.map((s) => ({ atMs: s.sinceMs - changeMs, delayMs: s.echo.delayMs, converged: s.echo.converged }));
    const said = JSON.stringify(states.map((s) => [Math.round(s.atMs), s.delayMs, s.converged]));
    expect(Math.abs((states.find((s) => s.delayMs !== null)?.delayMs ?? 0) - 40), said).toBeLessThan(4);
    const moved = states.find((s) => s.atMs > 0 && s.delayMs !== null && Math.abs(s.delayMs - 120) < 4);
    expect(moved?.atMs, said).toBeLessThan(2000);
    expect(moved?.converged, said).toBe(false);
    const again = states.find((s) => s.atMs > (moved?.atMs ?? 0) && s.converged);
    expect((again?.atMs ?? Number.POSITIVE_INFINITY) - (moved?.atMs ?? 0), said).toBeLessThan(5000);
    const lateStarts = harness.vad.filter((e) => e.kind === 'speech_started' && e.timeUs / 1000 > changeMs + (moved?.atMs ?? 0));
    expect(lateStarts, 'speech starts on echo alone once the move was found').toEqual([]);
    const earlyStarts = harness.vad.filter((e) => e.kind === 'speech_started' && e.timeUs / 1000 < changeMs);
    expect(earlyStarts, 'speech starts on echo alone before the move').toEqual([]);
  });

  it('re-places the reference only when the echo would leave the canceller: 10 ms earlier it does, 10 ms later (still inside the filter) it does not, and no speech starts on the echo', () => {
    // A room whose strongest arrival swings between 50 and 40 ms (an early reflection nearly as
    // loud as the direct sound does this to the estimate).
    const played = concat(reply, reply, reply, reply, reply);
    const paths = [room(50, -6), room(50, -6), room(40, -6), room(50, -6), room(40, -6)].map((taps) => convolve(played, taps));
    const heard = concat(...paths.map((path, n) => path.subarray(n * reply.length, (n + 1) * reply.length)));
    const harness = new Harness({ echoCancellation: true, noiseSuppression: true, gainControl: true, vad: true });
    const { mic, reference } = board(played, heard);
    harness.mic(mic, reference);
    const delays = harness.states.map((s) => s.echo.delayMs).filter((d): d is number => d !== null);
    const said = JSON.stringify(delays);
    // Placed at 50, moved to 40 once, and kept there when the echo came 10 ms later again.
    expect(harness.counter('echo.delayChanges'), said).toBe(2);
    expect(Math.abs((delays[0] as number) - 50), said).toBeLessThan(4);
    expect(Math.abs((delays.at(-1) as number) - 40), said).toBeLessThan(4);
    expect(harness.vad, 'speech starts on echo alone').toEqual([]);
  });

  it("does not take the echo for a voice while the microphone's timeline settles after an overrun (its first stamps off, then right again)", () => {
    const pause = new Int16Array(RATE_HZ);
    const played = concat(reply, pause, reply, pause);
    const heard = convolve(played, room(40, -6));
    const { mic, reference } = board(played, heard);
    const frameSamples = RATE_HZ / 50;
    const speechStarts = harnessRun(mic, reference);
    expect(speechStarts, 'speech starts on echo alone, stamps right').toEqual([]);
    // Around each reply's start and end (where the reference's place matters most) two frames are
    // lost (an overrun) and the stream's timeline starts again off by `offMs`: the next 300 ms
    // are stamped so, then the stamps are right again.
    for (const edge of [reply.length, reply.length + pause.length, 2 * reply.length + pause.length]) {
      for (const offMs of [-120, 120]) {
        const lostAt = Math.round(edge / frameSamples) - 3;
        const restarted = mic.filter((_, n) => n !== lostAt && n !== lostAt + 1).map((frame, n) => (n >= lostAt && n < lostAt + 15 ? { ...frame, captureTimeUs: frame.captureTimeUs + offMs * 1000 } : frame));
        expect(harnessRun(restarted, reference), `speech starts on echo alone, stamps ${offMs} ms off at ${Math.round((edge / RATE_HZ) * 1000)} ms`).toEqual([]);
      }
    }
  });

  it("waits, while the microphone's timeline settles, for the reference the doubt looks at: a reply starting just after an overrun, its reference late, is not a voice", () => {
    const pause = new Int16Array(RATE_HZ);
    const played = concat(reply, pause, reply, pause);
    const heard = convolve(played, room(40, -6));
    const { mic, reference } = board(played, heard);
    const frameSamples = RATE_HZ / 50;
    // A busy core: the reference reaches only 12 ms past each microphone frame as it comes. Two
    // frames lost just before the second reply's echo begins, and the timeline restarting 80 ms
    // early for 300 ms: the chunk that hears the reply's first sound has its reference placed
    // before the reply, and the reply has not arrived where the doubt looks.
    const lostAt = Math.round((reply.length + pause.length) / frameSamples) - 3;
    const restarted = mic.filter((_, n) => n !== lostAt && n !== lostAt + 1).map((frame, n) => (n >= lostAt && n < lostAt + 15 ? { ...frame, captureTimeUs: frame.captureTimeUs - 80_000 } : frame));
    expect(harnessRun(mic, reference, 12), 'speech starts on echo alone, stamps right').toEqual([]);
    const harness = new Harness({ echoCancellation: true, noiseSuppression: true, gainControl: true, vad: true });
    harness.mic(restarted, reference, 12);
    // What the model hears of the reply's first 400 ms after the overrun (the output has no samples
    // for the two lost frames): every 20 ms of the echo at least 25 dB down (a doubt that saw only
    // silence let two frames through at the microphone's level).
    const first = (lostAt + 2) * frameSamples;
    const leaks = echoLetThrough(heard, first, harness.output(), first - 2 * frameSamples, 20);
    expect(leaks, 'echo let through after the overrun').toEqual([]);
    expect(harness.counter('reference.waits'), 'chunks that waited for their reference').toBeGreaterThan(0);
    expect(harness.vad, 'speech starts on echo alone, the reply after an overrun').toEqual([]);
  });

  it("does not take the echo for a voice while the speaker's timeline settles after its stamps jumped (a reply starting with them 30 to 120 ms late or 60 ms early, then right again)", () => {
    const pause = new Int16Array(RATE_HZ);
    const played = concat(reply, pause, reply, pause);
    const heard = convolve(played, room(40, -6));
    const { mic, reference } = board(played, heard);
    const frameSamples = RATE_HZ / 50;
    // From 60 ms before the second reply's first sound, the reference's stamps are `offMs` off for
    // 300 ms (the sound itself where it was), then right again.
    const from = Math.round((reply.length + pause.length) / frameSamples) - 3;
    const right = new Harness({ echoCancellation: true, noiseSuppression: true, gainControl: true, vad: true });
    right.mic(mic, reference);
    // The stamps right, only the second reply's start is in doubt, until the canceller proves it (3 chunks).
    const rightDoubted = right.counter('echo.doubtedChunks');
    expect(rightDoubted, 'chunks in doubt, the stamps right').toBeLessThanOrEqual(4);
    for (const offMs of [30, 60, 120, -60]) {
      const jumped = reference.map((frame, n) => (n >= from && n < from + 15 ? { ...frame, captureTimeUs: frame.captureTimeUs + offMs * 1000 } : frame));
      const harness = new Harness({ echoCancellation: true, noiseSuppression: true, gainControl: true, vad: true });
      harness.mic(mic, jumped);
      const first = from * frameSamples;
      expect(echoLetThrough(heard, first, harness.output(), first, 25), `echo let through, the reference's stamps ${offMs} ms off`).toEqual([]);
      expect(harness.vad, `speech starts on echo alone, the reference's stamps ${offMs} ms off`).toEqual([]);
      // Said on the dsp's metrics: chunks judged with their reference in doubt.
      expect(harness.counter('echo.doubtedChunks'), `chunks in doubt, the reference's stamps ${offMs} ms off`).toBeGreaterThan(rightDoubted);
    }
  });

  it("converges while the speaker's timeline restarts every 200 ms (the playback underrunning: a frame of silence, a gap in the reference), the doubt after each lifted once the canceller removes the echo, and a voice over the reply is heard", () => {
    // Two replies; every tenth 20 ms frame the speaker underran (played silence) and the
    // reference lost that frame: each gap restarts the speaker's timeline. The stamps stay right.
    const frameSamples = RATE_HZ / 50;
    const played = concat(reply, reply);
    for (let n = 9; (n + 1) * frameSamples <= played.length; n += 10) played.fill(0, n * frameSamples, (n + 1) * frameSamples);
    const voiceAt = reply.length + Math.round(1.5 * RATE_HZ);
    const heard = mix(convolve(played, room(40, -6)), voice, voiceAt);
    const { mic, reference } = board(played, heard);
    const harness = new Harness({ echoCancellation: true, noiseSuppression: true, gainControl: true, vad: true });
    harness.mic(mic, reference.filter((_, n) => n % 10 !== 9));
    expect(harness.counter('reference.gaps'), "the speaker's timeline restarts").toBeGreaterThan(20);
    const said = JSON.stringify({ doubted: harness.counter('echo.doubtedChunks'), echo: harness.states.at(-1)?.echo });
    // Converged within the first reply (it did in 2.2 s with the stamps right), as auto mode needs to
    // go full-duplex: a doubt that waited out its 500 ms after every restart learnt nothing.
    const convergedAtMs = (harness.states.find((s) => s.echo.converged)?.sinceMs ?? Number.POSITIVE_INFINITY) - START_US / 1000;
    expect(convergedAtMs, `converged, ms into the first reply: ${said}`).toBeLessThan((reply.length / RATE_HZ) * 1000);
    expect(harness.counter('echo.doubtedChunks'), 'chunks in doubt after the restarts').toBeGreaterThan(0);
    const voiceStartUs = START_US + ((voiceAt + voice.findIndex((v) => Math.abs(v) > 300)) / RATE_HZ) * 1e6;
    const started = harness.vad.filter((e) => e.kind === 'speech_started');
    expect(started.map((e) => Math.round((e.timeUs - voiceStartUs) / 1000)), `speech starts, ms from the voice's: ${said}`).toHaveLength(1);
    expect(Math.abs((started[0]?.timeUs ?? 0) - voiceStartUs) / 1000).toBeLessThan(500);
  });

  it("takes the first sound of a reply heard before its stamps say (the speaker quiet before it) for echo, not a voice", () => {
    const pause = new Int16Array(RATE_HZ);
    const earlySamples = (EARLY_MS * RATE_HZ) / 1000;
    // What the speaker played, by its stamps; the second reply sounded EARLY_MS before they say.
    const played = concat(reply, pause, reply, pause);
    const heard = convolve(concat(reply, pause.subarray(earlySamples), reply, pause, new Int16Array(earlySamples)), room(40, -6));
    const { mic, reference } = board(played, heard);
    const harness = new Harness({ echoCancellation: true, noiseSuppression: true, gainControl: true, vad: true });
    harness.mic(mic, reference);
    // The second reply's echo as the microphone heard it (40 ms after it sounded), 20 ms at a time, over its first 200 ms.
    const first = reply.length + pause.length - earlySamples + (40 * RATE_HZ) / 1000;
    const leaks = echoLetThrough(heard, first, harness.output(), first, 10);
    expect(leaks, 'the early echo let through').toEqual([]);
    expect(harness.vad, 'speech starts on echo alone').toEqual([]);
  });

  it("hears a person talking while the speaker plays silence, through an overrun of the microphone (the doubt after it is only near the speaker's sound)", () => {
    const played = new Int16Array(RATE_HZ * 4);
    const heard = mix(new Int16Array(played.length), voice, RATE_HZ);
    const { mic, reference } = board(played, heard);
    // Two frames lost a quarter into the voice, and the timeline 120 ms late for 300 ms after.
    const lostAt = Math.round((RATE_HZ + voice.length / 4) / (RATE_HZ / 50));
    const restarted = mic.filter((_, n) => n !== lostAt && n !== lostAt + 1).map((frame, n) => (n >= lostAt && n < lostAt + 15 ? { ...frame, captureTimeUs: frame.captureTimeUs + 120_000 } : frame));
    const harness = new Harness({ echoCancellation: true, noiseSuppression: true, vad: true });
    harness.mic(restarted, reference);
    const out = harness.output();
    const after = (lostAt + 2) * (RATE_HZ / 50);
    expect(powerDb(out.subarray(after, RATE_HZ + voice.length - 2 * (RATE_HZ / 50))) - powerDb(heard.subarray(after, RATE_HZ + voice.length)), 'the voice after the overrun, against what the microphone heard').toBeGreaterThan(-10);
  });

  it('with a microphone that does not hear the speaker and overruns every 250 ms (its stamps 60 ms off after each): no echo is still found within the first reply, and a voice 1.5 s into it passes', () => {
    const played = concat(reply, reply);
    const voiceAt = Math.round(1.5 * RATE_HZ);
    const heard = mix(new Int16Array(played.length), voice, voiceAt);
    const { mic, reference } = board(played, heard);
    // A frame lost every 250 ms, the next 100 ms stamped 60 ms late (a busy core's overruns).
    const restarted = mic.filter((_, n) => n % 12 !== 11).map((frame, n) => (n % 11 < 5 && n >= 11 ? { ...frame, captureTimeUs: frame.captureTimeUs + 60_000 } : frame));
    const harness = new Harness({ echoCancellation: true, noiseSuppression: true, vad: true });
    harness.mic(restarted, reference);
    expect(harness.counter('input.lostMs'), 'frames lost (the microphone restarted)').toBeGreaterThan(100);
    const said = JSON.stringify(harness.states.map((s) => ({ ...s.echo, sinceMs: s.sinceMs })));
    const voiceStartUs = (mic[0]?.captureTimeUs ?? 0) + ((voiceAt + voice.findIndex((v) => Math.abs(v) > 300)) / RATE_HZ) * 1e6;
    // The fake clock's ms are the capture clock's µs / 1000 (the harness keeps them in step).
    expect(harness.states.find((s) => s.echo.converged)?.sinceMs ?? Number.POSITIVE_INFINITY, `no echo found before the voice: ${said}`).toBeLessThan(voiceStartUs / 1000);
    const started = harness.vad.filter((e) => e.kind === 'speech_started');
    expect(started.length, `the voice over the reply heard: ${said}`).toBe(1);
    expect(Math.abs((started[0]?.timeUs ?? 0) - voiceStartUs) / 1000).toBeLessThan(500);
  });

  it('does not move the reference on a delay found while a voice talked over the reply', () => {
    // A reply played whole, then six cut by a voice over them (the person cutting in, louder than
    // the echo): the speaker falls silent 400 ms into the voice, which goes on.
    const cut = (voiceAtSamples: number) => {
      const segment = new Int16Array(reply.length);
      segment.set(reply.subarray(0, voiceAtSamples + (RATE_HZ * 4) / 10));
      return segment;
    };
    const voiceAts = [0.5, 0.8, 1.1, 0.6, 0.9, 1.3].map((s) => Math.round(s * RATE_HZ));
    const played = concat(reply, ...voiceAts.map(cut));
    let heard = convolve(played, room(40, -6));
    for (const [n, at] of voiceAts.entries()) heard = mix(heard, voice, (n + 1) * reply.length + at);
    const harness = new Harness({ echoCancellation: true, noiseSuppression: true, gainControl: true, vad: true });
    const { mic, reference } = board(played, heard);
    harness.mic(mic, reference);
    const delays = JSON.stringify(harness.states.map((s) => s.echo.delayMs).filter((d) => d !== null));
    // Placed once, on the first reply (nobody talking), and kept.
    expect(harness.counter('echo.delayChanges'), delays).toBe(1);
    expect(harness.vad.filter((e) => e.kind === 'speech_started').length, 'each voice heard').toBe(voiceAts.length);
  });

  it('muted (half-duplex): withholds audio/input and counts it, while the canceller keeps learning and converges', () => {
    const played = concat(reply, reply);
    const heard = convolve(played, room(40, -6));
    const harness = new Harness({ echoCancellation: true, noiseSuppression: true, vad: true });
    harness.chain.muteOutput(true);
    const { mic, reference } = board(played, heard);
    harness.mic(mic, reference);
    expect(harness.frames).toEqual([]);
    expect(harness.counter('frames.withheld')).toBe(Math.floor(heard.length / CHUNK / 2));
    expect(harness.state).toMatchObject({ muted: true, echo: { converged: true } });
    harness.chain.muteOutput(false);
    harness.mic(toFrames(new Int16Array(RATE_HZ), { sampleRateHz: RATE_HZ, startUs: (mic.at(-1)?.captureTimeUs ?? 0) + 20_000, firstSequence: mic.length }));
    expect(harness.frames.length).toBeGreaterThan(40);
    expect(harness.state.muted).toBe(false);
  });
});
