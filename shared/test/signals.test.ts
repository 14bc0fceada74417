import { describe, expect, it } from 'vitest';
import { align, envelopeMismatches, loudSpans, playedUntil, samples, sine, sineSnrDb } from '../src/testing/signals.js';

/** The measures the audio tests rely on, checked on signals with known answers. */
describe('test signal measures', () => {
  const tone = samples(sine(24_000, 0.5, 440, 0.5));
  const delayed = (lag: number, source: Int16Array) => {
    const out = new Int16Array(source.length + lag + 1000);
    out.set(source, lag);
    return out;
  };

  it('align finds a delayed copy and scores it 1', () => {
    const speechLike = samples(Buffer.concat([sine(24_000, 0.2, 300, 0.4), sine(24_000, 0.2, 700, 0.2), sine(24_000, 0.1, 1100, 0.3)]));
    const { lagSamples, correlation } = align(speechLike, delayed(1234, speechLike));
    expect(lagSamples).toBe(1234);
    expect(correlation).toBeCloseTo(1, 6);
  });

  it('envelopeMismatches finds a 10 ms dropout and nothing in an intact copy', () => {
    const recording = delayed(500, tone);
    expect(envelopeMismatches(tone, recording, 500, 120)).toEqual([]);
    recording.fill(0, 500 + 6000, 500 + 6240);
    expect(envelopeMismatches(tone, recording, 500, 120).length).toBeGreaterThanOrEqual(1);
  });

  it('loudSpans merges short gaps and splits at long ones', () => {
    const signal = new Int16Array(1000);
    signal.fill(10_000, 100, 200);
    signal.fill(10_000, 210, 300);
    signal.fill(10_000, 600, 700);
    expect(loudSpans(signal, 0.1, 50)).toEqual([
      [100, 300],
      [600, 700],
    ]);
  });

  it('sineSnrDb tells a clean sine from a noisy one', () => {
    expect(sineSnrDb(tone, 24_000, 440)).toBeGreaterThan(70);
    const noisy = tone.map((v, i) => v + (i % 7) * 300 - 900);
    expect(sineSnrDb(noisy, 24_000, 440)).toBeLessThan(30);
  });

  describe('playedUntil', () => {
    const rateHz = 24_000;
    // Speech-like: noise in syllables of 150 ms with 50 ms pauses, seeded so every run is the same.
    const reply = new Int16Array(rateHz * 4);
    let seed = 12345;
    for (let i = 0; i < reply.length; i++) {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      reply[i] = i % 4800 < 3600 ? ((seed / 0x7fffffff) * 2 - 1) * 12_000 : 0;
    }
    const cutMs = 2100;
    const cutSample = (cutMs * rateHz) / 1000;
    const lead = 3000;
    // What the speaker recording holds: silence, the reply's first `cutMs` (after `edit`), silence.
    const recording = (edit: (played: Int16Array) => Int16Array) => {
      const played = edit(reply.subarray(0, cutSample));
      const out = new Int16Array(lead + played.length + rateHz * 2);
      out.set(played, lead);
      return out;
    };

    it('finds the cut of a straight copy', () => {
      const { playedMs, cutAt } = playedUntil(reply, recording((p) => p), lead, rateHz);
      expect(playedMs).toBe(cutMs);
      expect(cutAt).toBe(lead + cutSample);
    });

    it('follows the reply past an underrun of 925 ms', () => {
      const gapAt = rateHz; // 1 s in, mid-syllable
      const withGap = (p: Int16Array) => {
        const out = new Int16Array(p.length + (925 * rateHz) / 1000);
        out.set(p.subarray(0, gapAt));
        out.set(p.subarray(gapAt), gapAt + (925 * rateHz) / 1000);
        return out;
      };
      const { playedMs, cutAt } = playedUntil(reply, recording(withGap), lead, rateHz);
      expect(playedMs).toBe(cutMs);
      expect(cutAt).toBe(lead + cutSample + (925 * rateHz) / 1000);
    });

    it('follows the reply past 925 ms the recorder lost', () => {
      const lostAt = rateHz / 2;
      const lostSamples = (925 * rateHz) / 1000;
      const withLoss = (p: Int16Array) => Int16Array.from([...p.subarray(0, lostAt), ...p.subarray(lostAt + lostSamples)]);
      const { playedMs, cutAt } = playedUntil(reply, recording(withLoss), lead, rateHz);
      // Picked up mid-block, so the cut is found to within a block (10 ms).
      expect(Math.abs(playedMs - cutMs)).toBeLessThan(10);
      expect(Math.abs(cutAt - (lead + cutSample - lostSamples))).toBeLessThan(rateHz / 100);
    });
  });
});
