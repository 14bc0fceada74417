import { describe, expect, it } from 'vitest';
import { align, envelopeMismatches, loudSpans, samples, sine, sineSnrDb } from '../src/testing/signals.js';

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
});
