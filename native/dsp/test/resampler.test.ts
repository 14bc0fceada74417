import { Resampler } from '@voxbus/dsp';
import { samples, sine, sineSnrDb } from '@voxbus/shared/testing';
import { describe, expect, it } from 'vitest';

/** Resamples `pcm` the way a service does: one 20 ms frame at a time. */
function inFrames(resampler: Resampler, pcm: Buffer, frameFrames: number): Buffer {
  const out: Buffer[] = [];
  const frameBytes = frameFrames * 2 * resampler.channels;
  for (let offset = 0; offset < pcm.length; offset += frameBytes) out.push(resampler.process(pcm.subarray(offset, offset + frameBytes)));
  return Buffer.concat(out);
}

describe('Resampler (speexdsp)', () => {
  for (const inRateHz of [48_000, 16_000, 44_100]) {
    it(`takes a 1 kHz sine from ${inRateHz} Hz to 24 kHz cleanly, frame by frame`, () => {
      const resampler = new Resampler({ channels: 1, inRateHz, outRateHz: 24_000 });
      const out = samples(inFrames(resampler, sine(inRateHz, 1, 1000, 0.5), (inRateHz / 1000) * 20));
      // Length follows the ratio, give or take the filter's delay.
      expect(Math.abs(out.length - 24_000)).toBeLessThan(100);
      // A continuous sine with no seams at frame boundaries: far above 16-bit quantisation noise of a bad resampler.
      expect(sineSnrDb(out.subarray(1000, 23_000), 24_000, 1000)).toBeGreaterThan(60);
    });
  }

  it('keeps channels apart when it resamples interleaved stereo', () => {
    const resampler = new Resampler({ channels: 2, inRateHz: 24_000, outRateHz: 48_000 });
    const stereo = Buffer.alloc(24_000 * 4);
    const left = sine(24_000, 1, 500, 0.5);
    for (let i = 0; i < 24_000; i++) stereo.writeInt16LE(left.readInt16LE(i * 2), i * 4); // right channel silent
    const out = samples(inFrames(resampler, stereo, 480));
    const leftOut = out.filter((_, i) => i % 2 === 0);
    const rightOut = out.filter((_, i) => i % 2 === 1);
    expect(sineSnrDb(leftOut.subarray(2000, 46_000), 48_000, 500)).toBeGreaterThan(60);
    expect(Math.max(...Array.from(rightOut, Math.abs))).toBeLessThan(2);
  });

  it('passes equal rates through untouched', () => {
    const pcm = sine(24_000, 0.1, 440);
    expect(new Resampler({ channels: 1, inRateHz: 24_000, outRateHz: 24_000 }).process(pcm).equals(pcm)).toBe(true);
  });

  it('refuses bad arguments and partial frames with clear errors', () => {
    expect(() => new Resampler({ channels: 0, inRateHz: 48_000, outRateHz: 24_000 })).toThrow(/channels must be an integer/);
    expect(() => new Resampler({ channels: 1, inRateHz: 48_000, outRateHz: 24_000, quality: 11 })).toThrow(/quality/);
    const resampler = new Resampler({ channels: 2, inRateHz: 48_000, outRateHz: 24_000 });
    expect(() => resampler.process(Buffer.alloc(6))).toThrow(/whole frames/);
    expect(() => resampler.process('pcm' as unknown as Buffer)).toThrow(TypeError);
  });

  it('handles a Buffer slice at an odd offset', () => {
    const resampler = new Resampler({ channels: 1, inRateHz: 48_000, outRateHz: 24_000 });
    const backing = Buffer.alloc(1 + 960 * 2);
    sine(48_000, 0.02, 1000).copy(backing, 1);
    expect(resampler.process(backing.subarray(1)).length).toBeGreaterThan(400);
  });
});
