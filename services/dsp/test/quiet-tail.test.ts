import { describe, expect, it } from 'vitest';
import { QuietTail } from '../src/quiet-tail.js';
import { HANGOVER_MAX_MS, VadTracker } from '../src/vad-tracker.js';

const CHUNK_MS = 10;
const at = (chunk: number) => chunk * CHUNK_MS * 1000;
/** Mean-square energies: a room at -60 dBFS, a voice at -20 dBFS. */
const ROOM = (32768 * 1e-3) ** 2;
const VOICE = (32768 * 0.1) ** 2;

describe('QuietTail', () => {
  it('finds where the voice went quiet, within 6 dB of the room between utterances or 40 dB under the loudest, and forgets it at a louder chunk', () => {
    const tail = new QuietTail(CHUNK_MS);
    for (let i = 0; i < 50; i++) tail.push(ROOM, at(i), false, false);
    tail.startUtterance();
    for (let i = 50; i < 100; i++) tail.push(VOICE, at(i), true, true);
    expect(tail.sinceUs).toBeUndefined();
    tail.push(ROOM * 3, at(100), true, true);
    tail.push(ROOM, at(101), true, true);
    expect(tail.sinceUs).toBe(at(100));
    // A consonant's burst ends the quiet run; the next one starts at the next quiet chunk.
    tail.push(VOICE / 100, at(102), true, true);
    expect(tail.sinceUs).toBeUndefined();
    tail.push(VOICE * 1e-5, at(103), true, true);
    expect(tail.sinceUs).toBe(at(103));
  });

  it("takes a noisy room's noise after the voice for quiet, but not a last weak sound 9 dB above it, nor the voice itself while learning the room", () => {
    const tail = new QuietTail(CHUNK_MS);
    const hum = VOICE / 30;
    const swinging = (i: number) => hum * (i % 4 === 0 ? 2 : 0.8);
    for (let i = 0; i < 50; i++) tail.push(swinging(i), at(i), false, false);
    // The voice's first chunks, before speech is said to have started, are not the room.
    for (let i = 50; i < 60; i++) tail.push(VOICE, at(i), false, true);
    tail.startUtterance();
    for (let i = 60; i < 100; i++) tail.push(VOICE + swinging(i), at(i), true, true);
    for (let i = 100; i < 110; i++) {
      tail.push(hum * 8, at(i), true, true);
      expect(tail.sinceUs, `weak sound, chunk ${i}`).toBeUndefined();
    }
    for (let i = 110; i < 130; i++) tail.push(swinging(i), at(i), true, false);
    expect(tail.sinceUs).toBe(at(110));
  });
});

describe('VadTracker, its silence counted from where the voice went quiet', () => {
  /** 30 chunks of voice, then `hangover` chunks the voice decision still calls voice but are quiet, then silence. */
  function stopAfter(hangover: number, quietFromChunk: (i: number) => number | undefined) {
    const vad = new VadTracker(150, 250);
    for (let i = 0; i < 30; i++) vad.push(true, at(i), CHUNK_MS);
    for (let i = 30; i < 30 + hangover; i++) expect(vad.push(true, at(i), CHUNK_MS, undefined, quietFromChunk(i))).toBeUndefined();
    for (let i = 30 + hangover; i < 200; i++) {
      const transition = vad.push(false, at(i), CHUNK_MS, undefined, quietFromChunk(i));
      if (transition) return { chunk: i, transition };
    }
    throw new Error('no speech_stopped');
  }

  it("takes back the voice decision's hangover: the silence ends speech 250 ms after the quiet began, dated there", () => {
    const { chunk, transition } = stopAfter(12, () => at(30));
    expect(transition.kind).toBe('speech_stopped');
    expect(transition.timeUs).toBe(at(30));
    expect(chunk).toBe(30 + 250 / CHUNK_MS - 1);
  });

  it(`takes back no more than ${HANGOVER_MAX_MS} ms, and nothing without a quiet run`, () => {
    const long = stopAfter(30, () => at(30));
    expect(long.transition.timeUs).toBe(at(60) - HANGOVER_MAX_MS * 1000);
    const none = stopAfter(12, () => undefined);
    expect(none.transition.timeUs).toBe(at(42));
    expect(none.chunk).toBe(42 + 250 / CHUNK_MS - 1);
  });
});
