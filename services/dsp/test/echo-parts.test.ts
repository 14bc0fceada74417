import { samples, speech } from '@voxbus/shared/testing';
import { beforeAll, describe, expect, it } from 'vitest';
import { DelayEstimator } from '../src/delay-estimator.js';
import { EchoCoherence } from '../src/echo-coherence.js';
import { EchoGate } from '../src/echo-gate.js';
import { PlacementDoubt } from '../src/placement-doubt.js';
import { QuantileTracker } from '../src/quantile.js';
import { RecentChunks } from '../src/recent-chunks.js';
import { ReferenceCursor } from '../src/reference-cursor.js';
import { ReferenceTrack } from '../src/reference-track.js';

const RATE_HZ = 24_000;
const CHUNK = RATE_HZ / 100;

/** A deterministic pseudo-random sequence in [0, 1), so a failure can be reproduced. */
function lcg(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state * 1_103_515_245 + 12_345) % 2 ** 31;
    return state / 2 ** 31;
  };
}

let talk: Int16Array;
beforeAll(async () => {
  talk = samples(await speech('The quick brown fox jumps over the lazy dog, and then it runs into the woods to hide.', RATE_HZ));
});

/** `signal` delayed by `delayMs` and scaled by `gainDb`, with white noise at `noiseDbfs`. */
function echoOf(signal: Int16Array, delayMs: number, gainDb: number, noiseDbfs: number, seed = 1): Int16Array {
  const random = lcg(seed);
  const shift = Math.round((delayMs * RATE_HZ) / 1000);
  const gain = 10 ** (gainDb / 20);
  const noise = 32768 * 10 ** (noiseDbfs / 20) * Math.sqrt(3);
  return Int16Array.from(signal, (_, i) => Math.round((i >= shift ? (signal[i - shift] as number) * gain : 0) + (random() * 2 - 1) * noise));
}

describe('the echo reference, placed on the capture clock', () => {
  it('lays a run of frames down contiguously although their timestamps jitter, and places a frame after a real jump by its own time', () => {
    const track = new ReferenceTrack(RATE_HZ);
    const frame = Int16Array.from({ length: 480 }, (_, i) => i + 1);
    // Stamps 20 ms apart, each off by up to ±1 ms: the samples must still follow on exactly.
    const jitter = [0, 900, -700, 400, -1000];
    for (const [n, offsetUs] of jitter.entries()) track.write({ samples: frame, firstSampleUs: 1_000_000 + n * 20_000 + offsetUs });
    const out = new Int16Array(480 * 5);
    track.read(track.indexAt(1_000_000), out);
    for (let n = 0; n < 5; n++) expect(Array.from(out.subarray(n * 480, n * 480 + 3)), `frame ${n}`).toEqual([1, 2, 3]);
    // 50 ms later than expected: a new placement, and the gap reads as silence.
    track.write({ samples: frame, firstSampleUs: 1_000_000 + 5 * 20_000 + 50_000 });
    const after = new Int16Array(480 + 1200);
    track.read(track.indexAt(1_000_000 + 5 * 20_000), after);
    expect(after.subarray(0, 1200).every((v) => v === 0)).toBe(true);
    expect(after[1200]).toBe(1);
  });

  it('follows stamps drifting from the sample count a sample at a time, never moving the reference at once (the virtual board drifts about 0.5 ms a second)', () => {
    const track = new ReferenceTrack(RATE_HZ);
    const frameSamples = 480;
    // Every sample numbered (1 to 32 000, never 0: silence) so the read-back says where each one went.
    const numbered = (n: number) => Int16Array.from({ length: frameSamples }, (_, i) => ((n * frameSamples + i) % 32_000) + 1);
    const driftPpm = -520;
    const jumps: number[] = [];
    const frames = 1500; // 30 s of 20 ms frames: 15.6 ms of drift in all.
    for (let n = 0; n < frames; n++) {
      const nominalUs = 1_000_000 + n * 20_000;
      const jump = track.write({ samples: numbered(n), firstSampleUs: nominalUs + (n * 20_000 * driftPpm) / 1e6 });
      if (jump !== 0) jumps.push(n);
    }
    expect(jumps, 'frames the stamps moved the reference at once').toEqual([]);
    // Where the last frame's first sample lies against where its stamp puts it: within 2 ms (the
    // walk follows a smoothed offset, so it lags a steady drift by a steady 1.5 ms, never more).
    const lastStampUs = 1_000_000 + (frames - 1) * 20_000 + ((frames - 1) * 20_000 * driftPpm) / 1e6;
    const around = new Int16Array(RATE_HZ / 20);
    const from = track.indexAt(lastStampUs) - around.length / 2;
    track.read(from, around);
    const firstOfLast = (((frames - 1) * frameSamples) % 32_000) + 1;
    const offsetSamples = around.indexOf(firstOfLast) - around.length / 2;
    expect(Math.abs(offsetSamples), `last frame laid ${offsetSamples} samples from its stamp`).toBeLessThanOrEqual((2 * RATE_HZ) / 1000);
    // No slot left unwritten along the way (a step later repeats a sample; it never reads as silence).
    const whole = new Int16Array(RATE_HZ);
    track.read(track.indexAt(lastStampUs) - RATE_HZ + frameSamples, whole);
    expect(whole.indexOf(0), 'an unwritten slot').toBe(-1);
  });

  it('reads each microphone chunk contiguously after the last, whatever the jitter of its stamp; a jump moves it at once; a lasting offset is walked off a sample at a time', () => {
    const cursor = new ReferenceCursor(RATE_HZ);
    const random = lcg(7);
    let previous = cursor.place(100_000, CHUNK);
    for (let n = 1; n < 200; n++) {
      // The ideal place from a stamp with up to ±0.9 ms of jitter (±21 samples).
      const ideal = 100_000 + n * CHUNK + Math.round((random() * 2 - 1) * 21);
      const at = cursor.place(ideal, CHUNK);
      expect(at - previous, `chunk ${n}`).toBe(CHUNK);
      previous = at;
    }
    expect(cursor.resyncs).toBe(1);
    // A new stream 10 ms away: moved there at once.
    const jumped = cursor.place(previous + CHUNK + 240, CHUNK);
    expect(jumped).toBe(previous + CHUNK + 240);
    expect(cursor.resyncs).toBe(2);
    // Two devices' clocks apart by 1 ms (24 samples) for good: followed one sample at a time.
    let at = jumped;
    const steps: number[] = [];
    for (let n = 1; n <= 600; n++) {
      const next = cursor.place(jumped + n * CHUNK + 24, CHUNK);
      steps.push(next - at - CHUNK);
      at = next;
    }
    expect(steps.every((step) => step === 0 || step === 1)).toBe(true);
    expect(at - (jumped + 600 * CHUNK + 24)).toBeGreaterThanOrEqual(-12);
  });
});

describe('the echo delay, found from the signals', () => {
  /** Feeds the estimator chunk by chunk; returns each estimate it confirmed, with when. */
  function run(estimator: DelayEstimator, mic: Int16Array, reference: Int16Array): { atMs: number; delayMs: number }[] {
    const found: { atMs: number; delayMs: number }[] = [];
    for (let at = 0; at + CHUNK <= mic.length; at += CHUNK) {
      const estimate = estimator.push(mic.subarray(at, at + CHUNK), reference.subarray(at, at + CHUNK));
      if (estimate !== undefined) found.push({ atMs: (at / RATE_HZ) * 1000, delayMs: estimate.delayMs });
    }
    return found;
  }

  it.each([
    [20, 0],
    [40, -6],
    [120, -12],
    [350, -6],
  ])('finds a %i ms echo at %i dB within 2 s of speech, to a few ms', (delayMs, gainDb) => {
    const estimator = new DelayEstimator(RATE_HZ, 500);
    const found = run(estimator, echoOf(talk, delayMs, gainDb, -60), talk);
    expect(found.length, JSON.stringify(found)).toBeGreaterThan(0);
    expect((found[0] as { atMs: number }).atMs).toBeLessThan(2000);
    expect(Math.abs((estimator.estimate?.delayMs ?? 0) - delayMs), JSON.stringify(found)).toBeLessThan(4);
  });

  it('says nothing from silence, or from a microphone that does not hear the speaker', () => {
    const estimator = new DelayEstimator(RATE_HZ, 500);
    expect(run(estimator, echoOf(new Int16Array(talk.length), 0, 0, -50), new Int16Array(talk.length))).toEqual([]);
    const otherTalk = echoOf(talk.slice().reverse(), 0, 0, -60);
    expect(run(estimator, otherTalk, talk)).toEqual([]);
    expect(estimator.estimate).toBeUndefined();
  });

  it('makes no estimate while a chunk whose reference never came is in its window, and carries on after', () => {
    const estimator = new DelayEstimator(RATE_HZ, 500);
    const mic = echoOf(talk, 40, -6, -60);
    const confirmedAtMs: number[] = [];
    const holeAtMs = 2000;
    for (let at = 0; at + CHUNK <= mic.length; at += CHUNK) {
      const atMs = (at / RATE_HZ) * 1000;
      const hole = atMs === holeAtMs;
      const reference = hole ? new Int16Array(CHUNK) : talk.subarray(at, at + CHUNK);
      if (estimator.push(mic.subarray(at, at + CHUNK), reference, !hole) !== undefined) confirmedAtMs.push(atMs);
    }
    const said = JSON.stringify(confirmedAtMs);
    expect(confirmedAtMs.filter((ms) => ms < holeAtMs).length, said).toBeGreaterThan(0);
    // The window (1 s) and the longest lag (500 ms) must be past the hole before the next estimate.
    expect(confirmedAtMs.filter((ms) => ms >= holeAtMs && ms < holeAtMs + 1500), said).toEqual([]);
    expect(confirmedAtMs.filter((ms) => ms >= holeAtMs + 1500).length, said).toBeGreaterThan(0);
    expect(Math.abs((estimator.estimate?.delayMs ?? 0) - 40)).toBeLessThan(4);
  });

  it('follows the echo when it moves (the speaker moved, a clock drifted)', () => {
    const estimator = new DelayEstimator(RATE_HZ, 500);
    run(estimator, echoOf(talk, 40, -6, -60), talk);
    expect(Math.abs((estimator.estimate?.delayMs ?? 0) - 40)).toBeLessThan(4);
    run(estimator, echoOf(talk, 90, -6, -60, 2), talk);
    expect(Math.abs((estimator.estimate?.delayMs ?? 0) - 90)).toBeLessThan(4);
  });
});

describe('echo coherence: is what the canceller left still the speaker?', () => {
  it('is high for a filtered, delayed copy of the reference and low for an independent voice', () => {
    const echo = new EchoCoherence(RATE_HZ, 30, 30);
    const voice = new EchoCoherence(RATE_HZ, 30, 30);
    const leak = echoOf(talk, 12, -20, -90);
    const other = echoOf(talk.slice().reverse(), 0, -20, -90);
    const high: number[] = [];
    const low: number[] = [];
    for (let at = 0; at + CHUNK <= talk.length; at += CHUNK) {
      const reference = talk.subarray(at, at + CHUNK);
      echo.push(reference, leak.subarray(at, at + CHUNK));
      voice.push(reference, other.subarray(at, at + CHUNK));
      // Where both are sounding.
      if (at > RATE_HZ / 2 && Math.abs(reference[0] as number) + Math.abs(other[at] as number) > 0) {
        high.push(echo.correlation());
        low.push(voice.correlation());
      }
    }
    const median = (values: number[]) => values.sort((a, b) => a - b)[Math.floor(values.length / 2)] as number;
    expect(median(high)).toBeGreaterThan(0.8);
    expect(median(low)).toBeLessThan(0.25);
  });
});

const GATE_OPTIONS = { tailMs: 700, doubleTalkMarginDb: 10, attenuationDb: 40, holdMs: 300, minVoiceMs: 50, leakCorrelation: 0.25, convergedErleDb: 20, maxDelayMs: 500 };

describe('the echo gate, chunk by chunk', () => {
  it("finds a microphone that does not hear the speaker once the first sound's echo would have come, though every other reference came late, and a voice 1.2 s into the first reply is heard", () => {
    const gate = new EchoGate(GATE_OPTIONS);
    const dbfs = (db: number) => 10 ** (db / 10);
    // The speaker sounding, the microphone silent; every other chunk's reference never came in time.
    for (let n = 0; n < 120; n++) {
      if (n % 2 === 0) gate.judge({ referencePower: dbfs(-20), micPower: dbfs(-90), residualPower: dbfs(-90), chunkMs: 10 }, () => 0);
      else gate.judgeWithoutReference(10, dbfs(-90), false);
    }
    expect(gate.figures().converged, JSON.stringify(gate.figures())).toBe(true);
    const voice = [];
    for (let n = 0; n < 10; n++) voice.push(gate.judge({ referencePower: dbfs(-20), micPower: dbfs(-25), residualPower: dbfs(-27), chunkMs: 10 }, () => 0));
    expect(voice.every((v) => v.nearEnd), 'the voice heard').toBe(true);
  });

  it('does not take an echo 500 ms late (the longest looked for) for none', () => {
    const gate = new EchoGate(GATE_OPTIONS);
    const dbfs = (db: number) => 10 ** (db / 10);
    for (let n = 0; n < 50; n++) gate.judge({ referencePower: dbfs(-20), micPower: dbfs(-90), residualPower: dbfs(-90), chunkMs: 10 }, () => 0);
    for (let n = 0; n < 100; n++) gate.judge({ referencePower: dbfs(-20), micPower: dbfs(-26), residualPower: dbfs(-30), chunkMs: 10 }, () => 0.9);
    expect(gate.figures().converged, JSON.stringify(gate.figures())).toBe(false);
  });

  it("takes the echo's level it is given while the reference is in doubt, so a silent reference right after does not make the echo a voice", () => {
    const gate = new EchoGate(GATE_OPTIONS);
    const dbfs = (db: number) => 10 ** (db / 10);
    const echoLeak = () => 0.9; // What the canceller leaves correlates with the reference: its leaks.
    // Two seconds of a reply, echo only (-6 dB, the canceller removing 40 dB): learnt and converged.
    for (let n = 0; n < 200; n++) gate.judge({ referencePower: dbfs(-20), micPower: dbfs(-26), residualPower: dbfs(-66), chunkMs: 10 }, echoLeak);
    expect(gate.figures().converged).toBe(true);
    // The speaker quiet for a second: the echo dies away and is forgotten.
    for (let n = 0; n < 100; n++) gate.judge({ referencePower: 0, micPower: dbfs(-80), residualPower: dbfs(-80), chunkMs: 10 }, echoLeak);
    // The next reply starts while the microphone's timeline settles: 200 ms of echo whose reference is in doubt.
    const verdicts = [];
    for (let n = 0; n < 20; n++) verdicts.push(gate.judgeWithoutReference(10, dbfs(-26), true));
    // Then the reference comes back, placed a little late (silence where the echo is), for 100 ms.
    // (A silent reference correlates with nothing.)
    for (let n = 0; n < 10; n++) verdicts.push(gate.judge({ referencePower: 0, micPower: dbfs(-26), residualPower: dbfs(-27), chunkMs: 10 }, () => 0));
    expect(verdicts.map((v) => (v.nearEnd ? 'voice' : 'echo')).filter((v) => v === 'voice'), 'chunks taken for a voice').toEqual([]);
    expect(gate.takeOpening()).toBeUndefined();
  });
});

describe("the echo gate over a canceller that removes nearly all of the echo (the virtual board's exactly linear path)", () => {
  const dbfs = (db: number) => 10 ** (db / 10);
  /** Echo only: the reference at -18 dBFS, the microphone 6 dB under it, the canceller leaving -110 dBFS (its worst usual leak learnt near -86 dB). */
  function learnt(): EchoGate {
    const gate = new EchoGate(GATE_OPTIONS);
    for (let n = 0; n < 500; n++) gate.judge({ referencePower: dbfs(-18), micPower: dbfs(-24), residualPower: dbfs(-110), chunkMs: 10 }, () => 0);
    return gate;
  }
  it("does not take 200 ms of a reply cancelled only 30 dB for a voice (its residual at -54 dBFS, 30 dB under the echo: a reply's start on CI)", () => {
    const gate = learnt();
    expect(gate.figures().converged).toBe(true);
    const verdicts = [];
    for (let n = 0; n < 20; n++) verdicts.push(gate.judge({ referencePower: dbfs(-18), micPower: dbfs(-24), residualPower: dbfs(-54), chunkMs: 10 }, () => 0.1));
    expect(verdicts.filter((v) => v.nearEnd).length, `chunks taken for a voice; opened on ${JSON.stringify(gate.takeOpening())}`).toBe(0);
  });
  it('lets through a voice over the reply 15 dB under its echo once it lasts the 50 ms asked of it', () => {
    const gate = learnt();
    const verdicts = [];
    for (let n = 0; n < 10; n++) verdicts.push(gate.judge({ referencePower: dbfs(-18), micPower: dbfs(-23.9), residualPower: dbfs(-39), chunkMs: 10 }, () => 0.05));
    expect(verdicts.map((v) => v.nearEnd)).toEqual([false, false, false, false, true, true, true, true, true, true]);
  });
});

describe('the echo gate after a stall', () => {
  const dbfs = (db: number) => 10 ** (db / 10);
  /** Echo only (the reference at -20 dBFS, the microphone 6 dB under it), the canceller leaving -20 to -10 dB of it. */
  function echoOnly(gate: EchoGate, chunks: number, random: () => number): void {
    for (let n = 0; n < chunks; n++) gate.judge({ referencePower: dbfs(-20), micPower: dbfs(-26), residualPower: dbfs(-46 + random() * 10), chunkMs: 10 }, () => 0.9);
  }
  it("keeps the microphone's level for the echo's while the reference never came within the echo's window, so a silent reference after a stall does not make the echo a voice", () => {
    const gate = new EchoGate(GATE_OPTIONS);
    echoOnly(gate, 300, lcg(7));
    // The speaker quiet for a second: the echo dies away and is forgotten.
    for (let n = 0; n < 100; n++) gate.judge({ referencePower: 0, micPower: dbfs(-80), residualPower: dbfs(-80), chunkMs: 10 }, () => 0);
    // The next reply starts while playback stalls: 200 ms of its echo, the reference not come in time.
    const verdicts = [];
    for (let n = 0; n < 20; n++) verdicts.push(gate.judgeWithoutReference(10, dbfs(-26), false));
    // Then references come, silent where the echo is (misplaced), for 100 ms.
    for (let n = 0; n < 10; n++) verdicts.push(gate.judge({ referencePower: 0, micPower: dbfs(-26), residualPower: dbfs(-27), chunkMs: 10 }, () => 0));
    expect(verdicts.map((v) => (v.nearEnd ? 'voice' : 'echo')).filter((v) => v === 'voice'), 'chunks taken for a voice').toEqual([]);
  });
});

describe("the chunks a gate opening's log line gives", () => {
  it('are the last ones, oldest first, in dBFS and ms, however many came before', () => {
    const recent = new RecentChunks(3, RATE_HZ);
    expect(recent.said().micDbfs).toEqual([]);
    for (let n = 1; n <= 5; n++) recent.add(10 ** (-n), 10 ** (-n - 3), 10 ** (-n - 1), n * 24);
    expect(recent.said()).toEqual({ micDbfs: [-30, -40, -50], residualDbfs: [-60, -70, -80], referenceDbfs: [-40, -50, -60], placedOffMs: [3, 4, 5] });
  });
});

describe('a running quantile', () => {
  it('settles on the 90th percentile of what it is fed, and follows it when it moves', () => {
    const tracker = new QuantileTracker(0.9, 100);
    const random = lcg(3);
    for (let n = 0; n < 5000; n++) tracker.add(random() * 100, 0.5);
    expect(Math.abs((tracker.value ?? 0) - 90)).toBeLessThan(5);
    for (let n = 0; n < 5000; n++) tracker.add(-50 + random() * 10, 0.5);
    expect(Math.abs((tracker.value ?? 0) - -41)).toBeLessThan(3);
  });
});

describe("the doubt after the speaker's timeline moved", () => {
  /** A track with the speaker sounding (-20 dBFS) for two seconds, its timeline moved at 1 s, and a doubt that has placed a chunk. */
  function moved(): { doubt: PlacementDoubt; movedAt: number } {
    const track = new ReferenceTrack(RATE_HZ);
    const loud = Int16Array.from({ length: RATE_HZ * 2 }, (_, i) => (i % 2 === 0 ? 3277 : -3277));
    track.write({ samples: loud, firstSampleUs: 0 });
    const doubt = new PlacementDoubt(track, CHUNK, 10);
    doubt.placed(false);
    doubt.speakerMoved(RATE_HZ);
    return { doubt, movedAt: RATE_HZ };
  }
  const mic = 1e-3;
  const inDoubt = (doubt: PlacementDoubt, at: number) => {
    doubt.follow(1e-2, at, true);
    return doubt.inDoubt(at, 1e-2);
  };

  it('ends once the canceller removes 20 dB in 3 chunks in a row on the reference laid since the move, not on the reference before it', () => {
    const { doubt, movedAt } = moved();
    expect(inDoubt(doubt, movedAt), 'just after the move').toBe(true);
    // Cancelled well, but on the reference laid before the move: proves nothing of the new one.
    for (let n = 1; n <= 3; n++) doubt.cancelled(movedAt - n * CHUNK, 1e-2, mic, mic / 1000);
    expect(inDoubt(doubt, movedAt), 'after chunks cancelled before the move').toBe(true);
    // Two well cancelled, then one cancelled 5 dB (the reference off the sound): counted again.
    doubt.cancelled(movedAt, 1e-2, mic, mic / 1000);
    doubt.cancelled(movedAt + CHUNK, 1e-2, mic, mic / 1000);
    doubt.cancelled(movedAt + 2 * CHUNK, 1e-2, mic, mic / 10 ** 0.5);
    doubt.cancelled(movedAt + 3 * CHUNK, 1e-2, mic, mic / 1000);
    doubt.cancelled(movedAt + 4 * CHUNK, 1e-2, mic, mic / 1000);
    expect(inDoubt(doubt, movedAt + 5 * CHUNK), 'after two in a row').toBe(true);
    doubt.cancelled(movedAt + 5 * CHUNK, 1e-2, mic, mic / 1000);
    expect(inDoubt(doubt, movedAt + 6 * CHUNK), 'after three in a row').toBe(false);
  });

  it('is not ended by chunks with the speaker quiet or the microphone silent, and not at all after a move of the microphone', () => {
    const { doubt, movedAt } = moved();
    for (let n = 0; n < 3; n++) doubt.cancelled(movedAt + n * CHUNK, 1e-7, mic, mic / 1000);
    for (let n = 3; n < 6; n++) doubt.cancelled(movedAt + n * CHUNK, 1e-2, 1e-8, 1e-11);
    expect(inDoubt(doubt, movedAt + 6 * CHUNK), 'the speaker quiet, then the microphone silent').toBe(true);
    // The microphone's timeline moved too: its settling is not the canceller's to end.
    doubt.placed(true);
    for (let n = 6; n < 9; n++) doubt.cancelled(movedAt + n * CHUNK, 1e-2, mic, mic / 1000);
    expect(inDoubt(doubt, movedAt + 9 * CHUNK), "the microphone's timeline settling").toBe(true);
  });

  it('counts how each ended: overtaken by the next move before it was proved, then proved', () => {
    const { doubt, movedAt } = moved();
    doubt.cancelled(movedAt, 1e-2, mic, mic / 1000);
    // The speaker's timeline moves again 10 ms later: the first settling never ended on its own.
    doubt.speakerMoved(movedAt + CHUNK);
    for (let n = 1; n <= 3; n++) doubt.cancelled(movedAt + n * CHUNK, 1e-2, mic, mic / 1000);
    expect(doubt.speakerSettlings).toEqual({ proved: 1, expired: 0, overtaken: 1 });
  });
});

describe('the doubt at the start of a reply', () => {
  /** A track with a second of silence, then the speaker sounding (-20 dBFS) for a second; a doubt that has followed the silence (`quietMs` of it). */
  function quietThenReply(quietMs: number): { doubt: PlacementDoubt; replyAt: number } {
    const track = new ReferenceTrack(RATE_HZ, 4);
    const reply = Int16Array.from({ length: RATE_HZ }, (_, i) => (i % 2 === 0 ? 3277 : -3277));
    const replyAt = 2 * RATE_HZ;
    track.write({ samples: new Int16Array(replyAt), firstSampleUs: 0 });
    track.write({ samples: reply, firstSampleUs: 2_000_000 });
    const doubt = new PlacementDoubt(track, CHUNK, 10);
    for (let at = replyAt - (quietMs / 10) * CHUNK; at < replyAt; at += CHUNK) {
      doubt.placed(false);
      doubt.follow(0, at, true);
    }
    return { doubt, replyAt };
  }
  const mic = 1e-3;
  /** One chunk of the reply at `at`: placed, cancelled (`removedDb`), followed; whether it is in doubt. */
  const chunk = (doubt: PlacementDoubt, at: number, removedDb: number, replyStarts = true) => {
    doubt.placed(false);
    doubt.cancelled(at, 1e-2, mic, mic / 10 ** (removedDb / 10));
    doubt.follow(1e-2, at, replyStarts);
    return doubt.inDoubt(at, 1e-2);
  };

  it('holds a reply started after a second of quiet until the canceller removes 20 dB in 3 chunks in a row, without waiting for more reference', () => {
    const { doubt, replyAt } = quietThenReply(1000);
    expect(chunk(doubt, replyAt, 40), 'its first chunk').toBe(true);
    expect(doubt.aheadMs, 'the reference asked for past a chunk').toBe(30);
    expect(chunk(doubt, replyAt + CHUNK, 40), 'one cancelled').toBe(true);
    expect(chunk(doubt, replyAt + 2 * CHUNK, 40), 'two cancelled').toBe(true);
    expect(chunk(doubt, replyAt + 3 * CHUNK, 40), 'three cancelled').toBe(false);
    expect(doubt.speakerSettlings, 'how the settlings ended').toEqual({ proved: 1, expired: 0, overtaken: 0 });
  });

  it('holds a reply whose echo the canceller does not remove (misplaced: it removed 9 dB, then added) for half a second at most', () => {
    const { doubt, replyAt } = quietThenReply(1000);
    const removed = [9, -4, -5, 3, 1];
    const doubted = [];
    for (let n = 0; n < 60; n++) doubted.push(chunk(doubt, replyAt + n * CHUNK, removed[n % removed.length] as number));
    expect(doubted.filter(Boolean).length, 'chunks in doubt').toBe(50);
    expect(doubted.slice(50).some(Boolean), 'in doubt after 500 ms').toBe(false);
    expect(doubt.speakerSettlings, 'how the settlings ended').toEqual({ proved: 0, expired: 1, overtaken: 0 });
  });

  it('is no reply start after a pause shorter than a second (between two sentences), or before the echo delay was found', () => {
    const short = quietThenReply(600);
    expect(chunk(short.doubt, short.replyAt, 0), 'after 600 ms of quiet').toBe(false);
    const early = quietThenReply(1000);
    expect(chunk(early.doubt, early.replyAt, 0, false), 'the delay not found yet').toBe(false);
  });
});
