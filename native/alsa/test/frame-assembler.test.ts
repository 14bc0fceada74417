import { FrameAssembler, type GrantedFormat } from '@voxbus/alsa';
import { describe, expect, it } from 'vitest';

const STEREO_48K: GrantedFormat = { device: 'hw:0', sampleRateHz: 48_000, channels: 2, sampleFormat: 's16le', periodFrames: 480, bufferFrames: 1920 };

/** A period of `frames` stereo frames whose samples count up from `first`, stamped at `timeUs`. */
function period(first: number, frames: number, timeUs: number, lostFramesBefore = 0) {
  const pcm = Buffer.alloc(frames * 4);
  for (let i = 0; i < frames * 2; i++) pcm.writeInt16LE((first + i) % 32768, i * 2);
  return { pcm, frames, timeUs, lostFramesBefore };
}

describe('FrameAssembler', () => {
  it('cuts 10 ms periods into 20 ms frames with consecutive sequences and the time of their first sample', () => {
    const assembler = new FrameAssembler(STEREO_48K, 960);
    const frames = [0, 1, 2, 3, 4].flatMap((n) => assembler.push(period(n * 960, 480, 1_000_000 + n * 10_000)));
    expect(frames.map((f) => f.sequence)).toEqual([0, 1]);
    expect(frames.map((f) => f.captureTimeUs)).toEqual([1_000_000, 1_020_000]);
    expect(frames[0]).toMatchObject({ sampleRateHz: 48_000, channels: 2, sampleFormat: 's16le' });
    // The PCM is the periods' PCM, in order, without a sample lost or repeated.
    const joined = Buffer.concat(frames.map((f) => Buffer.from(f.pcm)));
    for (let i = 0; i < joined.length / 2; i++) expect(joined.readInt16LE(i * 2)).toBe(i);
  });

  it('handles periods that do not divide the frame (a device that granted an odd period)', () => {
    const assembler = new FrameAssembler(STEREO_48K, 960);
    const frames = [0, 1, 2, 3, 4, 5, 6].flatMap((n) => assembler.push(period(n * 1400, 700, 1_000_000 + n * 14_583)));
    expect(frames.map((f) => f.sequence)).toEqual([0, 1, 2, 3, 4]);
    expect(frames[1]?.captureTimeUs).toBe(1_020_000);
    expect(frames.every((f) => f.pcm.length === 960 * 4)).toBe(true);
  });

  it('leaves a sequence gap where frames were lost, and none after a reset', () => {
    const assembler = new FrameAssembler(STEREO_48K, 960, 41);
    expect(assembler.push(period(0, 960, 0)).map((f) => f.sequence)).toEqual([41]);
    // 1920 frames (two whole frames) lost: the next frame is numbered 44.
    expect(assembler.push(period(0, 960, 60_000, 1920)).map((f) => f.sequence)).toEqual([44]);
    assembler.push(period(0, 480, 80_000));
    assembler.reset();
    expect(assembler.push(period(0, 960, 200_000)).map((f) => [f.sequence, f.captureTimeUs])).toEqual([[45, 200_000]]);
  });

  it('settles a new timeline within a few periods on the earliest stamps, however late the first period and the load make the rest', () => {
    const assembler = new FrameAssembler(STEREO_48K, 480);
    // Periods of 10 ms whose stamps are 0-20 ms late (a loaded machine); the first one 20 ms.
    let seed = 7;
    const lateUs = (n: number) => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return n === 0 ? 20_000 : (seed / 0x7fffffff) * 20_000;
    };
    const stamps = Array.from({ length: 300 }, (_, n) => assembler.push(period(0, 480, 1_000_000 + n * 10_000 + lateUs(n)))[0]?.captureTimeUs as number);
    // The samples are on time: a stamp is only ever late.
    const errorsMs = stamps.map((stamp, n) => (stamp - (1_000_000 + n * 10_000)) / 1000);
    const worstAfterSettlingMs = Math.max(...errorsMs.slice(10).map(Math.abs));
    expect(worstAfterSettlingMs, `error of each frame's time, ms: ${errorsMs.slice(0, 20).map((e) => e.toFixed(1)).join(' ')}`).toBeLessThan(4);
    // And steady: no frame's time moves more than 1 ms against the sample count after that.
    const steps = errorsMs.slice(11).map((e, i) => Math.abs(e - (errorsMs[i + 10] as number)));
    expect(Math.max(...steps)).toBeLessThan(1);
  });

  it('a clock drifting from the monotonic one (300 ppm either way) is followed', () => {
    for (const ppm of [300, -300]) {
      const assembler = new FrameAssembler(STEREO_48K, 480);
      // The device's 480 samples take 10 ms x (1 + ppm); stamps 0-3 ms late.
      const truthUs = (n: number) => 1_000_000 + n * 10_000 * (1 + ppm / 1e6);
      const errorsUs = Array.from({ length: 3000 }, (_, n) => (assembler.push(period(0, 480, truthUs(n) + ((n * 7919) % 3000)))[0]?.captureTimeUs as number) - truthUs(n));
      expect(Math.max(...errorsUs.slice(100).map(Math.abs)), `${ppm} ppm`).toBeLessThan(1500);
    }
  });

  describe('its timeline, which the echo canceller places its reference by', () => {
    const periodUs = 10_000;
    /** An assembler fed 10 ms periods; `truthUs(n)` is when period n was really captured. */
    function feed() {
      const assembler = new FrameAssembler(STEREO_48K, 480);
      let truthUs = 1_000_000;
      const errorsUs: number[] = [];
      return {
        assembler,
        errorsUs,
        /** The next period, its stamp `lateUs` late; `skippedUs` of audio before it went unreported (or `lost` frames reported). */
        next(lateUs = 0, { lostFrames = 0, skippedUs = 0 } = {}) {
          truthUs += skippedUs + (lostFrames / 48_000) * 1e6;
          const frame = assembler.push(period(0, 480, truthUs + lateUs, lostFrames))[0];
          errorsUs.push((frame?.captureTimeUs as number) - truthUs);
          truthUs += periodUs;
        },
        discard() {
          assembler.discard(period(0, 480, truthUs));
          truthUs += periodUs;
        },
      };
    }

    it('keeps it through a mute: the first period after unmuting is placed by the sample count, not by its own late stamp', () => {
      const run = feed();
      for (let i = 0; i < 100; i++) run.next();
      for (let i = 0; i < 50; i++) run.discard();
      run.next(25_000);
      for (let i = 0; i < 20; i++) run.next();
      const worstUs = Math.max(...run.errorsUs.slice(100).map(Math.abs));
      expect(worstUs, `errors after unmuting, µs: ${run.errorsUs.slice(100, 110).map(Math.round).join(' ')}`).toBeLessThan(200);
    });

    it('starts it again after an overrun whose recovery lost more than it reported, settled within 10 periods though the first came 30 ms late', () => {
      const run = feed();
      for (let i = 0; i < 100; i++) run.next();
      // 4 periods reported lost, 50 ms more gone in the stream's restart.
      run.next(30_000, { lostFrames: 4 * 480, skippedUs: 50_000 });
      for (let i = 0; i < 60; i++) run.next((i * 7919) % 3000);
      const worstUs = Math.max(...run.errorsUs.slice(111).map(Math.abs));
      expect(worstUs, `errors after the overrun, µs: ${run.errorsUs.slice(100, 115).map(Math.round).join(' ')}`).toBeLessThan(4000);
    });

    it('moves to a step the device did not report (30 ms, for good) within half a second, instead of crawling there', () => {
      const run = feed();
      for (let i = 0; i < 100; i++) run.next();
      for (let i = 0; i < 100; i++) run.next(0, { skippedUs: i === 0 ? 30_000 : 0 });
      const worstUs = Math.max(...run.errorsUs.slice(150).map(Math.abs));
      expect(worstUs, `errors after the step, µs: ${run.errorsUs.slice(100, 200).filter((_, i) => i % 10 === 0).map(Math.round).join(' ')}`).toBeLessThan(4000);
    });
  });

  it('wraps the sequence at 2^32', () => {
    const assembler = new FrameAssembler(STEREO_48K, 480, 0xffff_ffff);
    expect(assembler.push(period(0, 960, 0)).map((f) => f.sequence)).toEqual([0xffff_ffff, 0]);
  });
});
