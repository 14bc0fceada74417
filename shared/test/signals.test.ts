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
      const { playedMs, soundedMs, cutAt } = playedUntil(reply, recording((p) => p), lead, rateHz);
      expect(playedMs).toBe(cutMs);
      expect(soundedMs, 'cut mid-syllable: sounded to the cut').toBe(cutMs);
      expect(cutAt).toBe(lead + cutSample);
    });

    it("says a cut at a pause of the reply's own (between sentences) could be anywhere in it, after a hold of 300 ms let go", () => {
      // The reply quiet from 2300 to 2660 ms (a sentence's end); the recording holds it to 2300 ms,
      // with the 300 ms of a pause (held, then resumed) 1.9 s in.
      const withPause = Int16Array.from(reply);
      withPause.fill(0, (2300 * rateHz) / 1000, (2660 * rateHz) / 1000);
      const heldAt = (1900 * rateHz) / 1000;
      const played = withPause.subarray(0, (2300 * rateHz) / 1000);
      const heard = new Int16Array(lead + played.length + (300 * rateHz) / 1000 + rateHz * 2);
      heard.set(played.subarray(0, heldAt), lead);
      heard.set(played.subarray(heldAt), lead + heldAt + (300 * rateHz) / 1000);
      const { playedMs, soundedMs } = playedUntil(withPause, heard, lead, rateHz);
      expect({ playedMs, soundedMs }).toEqual({ playedMs: 2660, soundedMs: 2300 });
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

    it('follows the reply past an underrun of 2.5 s when told where the next reply starts, and not into that reply', () => {
      const gapAt = rateHz;
      const gapSamples = (2500 * rateHz) / 1000;
      const withGap = (p: Int16Array) => {
        const out = new Int16Array(p.length + gapSamples);
        out.set(p.subarray(0, gapAt));
        out.set(p.subarray(gapAt), gapAt + gapSamples);
        return out;
      };
      const stalled = recording(withGap);
      const stalledEnd = lead + cutSample + gapSamples;
      // Without the bound, 1.5 s is as far as the walk looks.
      expect(playedUntil(reply, stalled, lead, rateHz).playedMs).toBe(1000);
      const { playedMs, cutAt } = playedUntil(reply, stalled, lead, rateHz, { searchEndSample: stalledEnd + rateHz / 2 });
      expect(playedMs).toBe(cutMs);
      expect(cutAt).toBe(stalledEnd);
      // The next reply says the same words: the walk stops at the stall rather than jump into it.
      const nextAt = lead + gapAt + rateHz / 2;
      const withNext = new Int16Array(nextAt + reply.length);
      withNext.set(reply.subarray(0, gapAt), lead);
      withNext.set(reply, nextAt);
      expect(playedUntil(reply, withNext, lead, rateHz, { searchEndSample: nextAt }).playedMs).toBe(1000);
    });

    it('follows the reply past an underrun at any point of it, the walk never searching with a span that straddles the break', () => {
      const missed: number[] = [];
      // Up to 200 ms (the span it searches with) before the cut: after a later break too little
      // of the reply is left to be found again, and the walk stops at the break.
      for (let gapAtMs = 50; gapAtMs < cutMs - 200; gapAtMs += 70) {
        const gapAt = (gapAtMs * rateHz) / 1000;
        const gapSamples = (372 * rateHz) / 1000;
        const withGap = (p: Int16Array) => {
          const out = new Int16Array(p.length + gapSamples);
          out.set(p.subarray(0, gapAt));
          out.set(p.subarray(gapAt), gapAt + gapSamples);
          return out;
        };
        if (playedUntil(reply, recording(withGap), lead, rateHz).playedMs !== cutMs) missed.push(gapAtMs);
      }
      expect(missed, 'underruns (ms into the reply) the walk did not follow').toEqual([]);
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
