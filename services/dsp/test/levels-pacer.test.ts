import { describe, expect, it } from 'vitest';
import { LevelsPacer } from '../src/levels-pacer.js';

const level = (rmsDbfs: number) => ({ rmsDbfs, peakDbfs: rmsDbfs + 3 });
const levels = (inputDbfs: number, outputDbfs = -120, voice = false) => ({ input: level(inputDbfs), output: level(outputDbfs), voice, timeUs: 0 });
const PACING = { levelsIntervalMs: 100, levelsQuietIntervalMs: 1000, levelsQuietDbfs: -50 };

/** Which of a run of 100 ms intervals the pacer publishes, as indexes. */
function published(run: ReturnType<typeof levels>[]): number[] {
  const pacer = new LevelsPacer(PACING);
  return run.flatMap((l, i) => (pacer.shouldPublish(l, (i + 1) * 100) ? [i] : []));
}

describe('LevelsPacer', () => {
  it('publishes every interval while the microphone hears sound', () => {
    expect(published(Array.from({ length: 10 }, () => levels(-30)))).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });

  it('publishes silence once a second: the first silent interval at once, then one per quiet interval', () => {
    expect(published(Array.from({ length: 25 }, () => levels(-120)))).toEqual([0, 10, 20]);
  });

  it('goes back to every interval the moment sound comes, and drops the meter at once when it goes', () => {
    const run = [...Array.from({ length: 5 }, () => levels(-120)), levels(-20), levels(-20), levels(-120), levels(-120), levels(-120)];
    expect(published(run)).toEqual([0, 5, 6, 7]);
  });

  it('counts output sound and voice as sound even with a quiet microphone', () => {
    const run = [levels(-120), levels(-120), levels(-120, -20), levels(-120), levels(-120, -120, true), levels(-120)];
    expect(published(run)).toEqual([0, 2, 3, 4, 5]);
  });

  it('takes the threshold from the configuration: a noise floor above it is sound', () => {
    const run = Array.from({ length: 5 }, () => levels(-45));
    expect(published(run)).toEqual([0, 1, 2, 3, 4]);
  });
});
