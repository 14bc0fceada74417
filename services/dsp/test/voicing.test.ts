import { samples, speech } from '@voxbus/shared/testing';
import { describe, expect, it } from 'vitest';
import { VadTracker, VOWEL_MS } from '../src/vad-tracker.js';
import { VoicingMeter } from '../src/voicing.js';

const RATE_HZ = 24_000;
const CHUNK = 240; // 10 ms

/** Deterministic noise in [-1, 1). */
function lcg(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1_664_525) + 1_013_904_223) >>> 0;
    return state / 2 ** 31 - 1;
  };
}

/** The voicing of every 10 ms chunk of a signal. */
function voicingPerChunk(signal: Int16Array): number[] {
  const meter = new VoicingMeter(RATE_HZ);
  const out: number[] = [];
  for (let at = 0; at + CHUNK <= signal.length; at += CHUNK) {
    meter.push(signal.subarray(at, at + CHUNK));
    out.push(meter.strength());
  }
  return out;
}

/** A vowel-like sound: a 120 Hz pulse train through a 700 Hz resonance. */
function vowel(seconds: number): Int16Array {
  const out = new Int16Array(Math.round(seconds * RATE_HZ));
  const r = 0.97;
  const w = (2 * Math.PI * 700) / RATE_HZ;
  let y1 = 0;
  let y2 = 0;
  for (let i = 0; i < out.length; i++) {
    const pulse = i % Math.round(RATE_HZ / 120) === 0 ? 1 : 0;
    const y = pulse + 2 * r * Math.cos(w) * y1 - r * r * y2;
    y2 = y1;
    y1 = y;
    out[i] = Math.max(-32768, Math.min(32767, Math.round(y * 1500)));
  }
  return out;
}

/** A cough-like burst: noise with a sharp attack and a 60 ms decay, then silence. */
function cough(seconds: number, seed: number): Int16Array {
  const noise = lcg(seed);
  return Int16Array.from({ length: Math.round(seconds * RATE_HZ) }, (_, i) => Math.round(noise() * 12_000 * Math.exp(-i / (0.06 * RATE_HZ))));
}

describe('VoicingMeter', () => {
  it('scores a vowel high, and noise, a cough and a click low', () => {
    expect(Math.min(...voicingPerChunk(vowel(0.3)).slice(4))).toBeGreaterThan(0.8);
    const noise = lcg(1);
    const white = Int16Array.from({ length: RATE_HZ / 2 }, () => Math.round(noise() * 8000));
    expect(Math.max(...voicingPerChunk(white).slice(4))).toBeLessThan(0.5);
    for (const seed of [2, 3, 4, 5]) expect(Math.max(...voicingPerChunk(cough(0.25, seed)).slice(4)), `cough ${seed}`).toBeLessThan(0.6);
    const click = new Int16Array(RATE_HZ / 4);
    click.fill(20_000, 1200, 1260);
    expect(Math.max(...voicingPerChunk(click).slice(4))).toBeLessThan(0.6);
  });

  it("finds voiced stretches in a spoken phrase (espeak-ng's voice)", async () => {
    const phrase = samples(await speech('Wait a moment please', RATE_HZ));
    const strengths = voicingPerChunk(phrase);
    const loud = strengths.filter((_, i) => {
      const chunk = phrase.subarray(i * CHUNK, (i + 1) * CHUNK);
      return Math.sqrt(chunk.reduce((sum, v) => sum + v * v, 0) / CHUNK) > 1000;
    });
    // Most of what is loud in speech is vowels: voiced.
    expect(loud.filter((v) => v >= 0.6).length / loud.length).toBeGreaterThan(0.5);
  });
});

describe('VadTracker with voicing', () => {
  it('starts speech after 60 ms of voiced voice (when asked for 60), but needs the whole 150 ms of voice that is not voiced', () => {
    const voiced = new VadTracker(150, 500, 60);
    const starts = [0, 1, 2, 3, 4, 5].map((i) => voiced.push(true, i * 10_000, 10, true)).filter((t) => t !== undefined);
    expect(starts).toEqual([{ kind: 'speech_started', timeUs: 0, speechMs: 60 }]);
    // Voicing not judged (the speaker's echo may be in the microphone): the minimum of voice alone.
    const unjudged = new VadTracker(150, 500, 60);
    const transitions = Array.from({ length: 15 }, (_, i) => unjudged.push(true, i * 10_000, 10, undefined));
    expect(transitions.findIndex((t) => t !== undefined)).toBe(14);
    // A voiced stretch counts in a row, one chunk's gap forgiven: two break it and it starts afresh.
    const broken = new VadTracker(150, 500, 60);
    const pattern = [true, true, true, false, false, true, true, true, true, true, true];
    const index = pattern.map((v, i) => broken.push(true, i * 10_000, 10, v)).findIndex((t) => t !== undefined);
    expect(index).toBe(10);
    const flicker = new VadTracker(150, 500, 60);
    const flickering = [true, true, true, false, true, true, true];
    expect(flickering.map((v, i) => flicker.push(true, i * 10_000, 10, v)).findIndex((t) => t !== undefined)).toBe(6);
  });

  it(`needs a vowel (${VOWEL_MS} ms voiced) in the minimum of voice where voicing is judged: a cough's noise is not a person`, () => {
    const noise = new VadTracker(150, 500, 80);
    expect(Array.from({ length: 40 }, (_, i) => noise.push(true, i * 10_000, 10, false)).filter((t) => t !== undefined)).toEqual([]);
    // 150 ms of unvoiced voice ('s', 't'), then a vowel: speech starts once the vowel is long enough, dated at the 's'.
    // Noise the detector calls voice, for seconds, then a vowel: the start counts only the last
    // 300 ms before the chunk that completed the vowel (dated 300 ms before it, 310 ms counted).
    const noisy = new VadTracker(150, 500, 80);
    const noisyChunks = [...Array<boolean>(300).fill(false), ...Array<boolean>(10).fill(true)];
    const noisyStart = noisyChunks.map((v, i) => noisy.push(true, i * 10_000, 10, v)).find((t) => t !== undefined);
    const completedAt = 300 + VOWEL_MS / 10 - 1;
    expect(noisyStart).toEqual({ kind: 'speech_started', timeUs: (completedAt - 30) * 10_000, speechMs: 310 });
    const word = new VadTracker(150, 500, 80);
    const chunks = [...Array<boolean>(15).fill(false), ...Array<boolean>(10).fill(true)];
    const transitions = chunks.map((v, i) => word.push(true, i * 10_000, 10, v));
    expect(transitions.findIndex((t) => t !== undefined)).toBe(15 + VOWEL_MS / 10 - 1);
    expect(transitions.find((t) => t !== undefined)).toEqual({ kind: 'speech_started', timeUs: 0, speechMs: 150 + VOWEL_MS });
  });
});
