import { samples, speech } from '@voxbus/shared/testing';
import { describe, expect, it } from 'vitest';
import { TurnEndJudge } from '../src/turn-end.js';
import { VadTracker } from '../src/vad-tracker.js';
import { VoicingMeter } from '../src/voicing.js';

const RATE_HZ = 24_000;
const CHUNK = 240;

/** Where a phrase falls silent for at least 100 ms (ms from its start), and whether the judge called its end falling there. */
async function pauses(text: string): Promise<{ atMs: number; falling: boolean }[]> {
  const pcm = samples(await speech(text, RATE_HZ));
  const meter = new VoicingMeter(RATE_HZ);
  const judge = new TurnEndJudge(500, 250);
  const found: { atMs: number; falling: boolean }[] = [];
  let quietFrom: { atMs: number; falling: boolean } | undefined;
  for (let at = 0; at + CHUNK <= pcm.length; at += CHUNK) {
    const chunk = pcm.subarray(at, at + CHUNK);
    meter.push(chunk);
    const rms = Math.sqrt(chunk.reduce((sum, v) => sum + v * v, 0) / CHUNK);
    const loud = rms > 32768 * 10 ** (-45 / 20);
    const atMs = at / (RATE_HZ / 1000);
    if (loud) {
      if (meter.strength() >= 0.6) judge.voiced(meter.pitchHz());
      quietFrom = undefined;
      continue;
    }
    if (quietFrom === undefined) quietFrom = { atMs, falling: judge.fallingEnd };
    if (atMs - quietFrom.atMs === 100) found.push(quietFrom);
  }
  return found;
}

describe('TurnEndJudge', () => {
  it("calls a statement's end falling, and neither its commas nor a rising question's end (espeak-ng's voice)", async () => {
    const statement = await pauses('Turn on the lights in the kitchen, and then, dim them a little.');
    // Two pauses at the commas, then the end.
    expect(statement.length).toBeGreaterThanOrEqual(3);
    expect(statement.slice(0, -1).map((p) => p.falling)).toEqual(statement.slice(0, -1).map(() => false));
    expect(statement.at(-1)?.falling).toBe(true);
    const question = await pauses('What will the weather be like tomorrow?');
    expect(question.at(-1)?.falling).toBe(false);
  });

  it('needs 200 ms of vowels before it believes a fall, and waits the full silence otherwise', () => {
    const judge = new TurnEndJudge(500, 250);
    for (let i = 0; i < 10; i++) judge.voiced(120);
    for (let i = 0; i < 5; i++) judge.voiced(90);
    expect(judge.silenceMs()).toBe(500);
    for (let i = 0; i < 10; i++) judge.voiced(120);
    for (let i = 0; i < 5; i++) judge.voiced(90);
    expect(judge.silenceMs()).toBe(250);
    // One octave slip among the last five does not make a fall.
    judge.reset();
    for (let i = 0; i < 30; i++) judge.voiced(120);
    judge.voiced(60);
    expect(judge.silenceMs()).toBe(500);
  });
});

describe('VadTracker with a judged end', () => {
  it('ends speech after the silence the judge asks for as the silence begins', () => {
    let askedMs = 500;
    const vad = new VadTracker(150, 500, 0, () => askedMs);
    const push = (voice: boolean, i: number) => vad.push(voice, i * 10_000, 10);
    for (let i = 0; i < 20; i++) push(true, i);
    askedMs = 250;
    const stops = Array.from({ length: 60 }, (_, i) => push(false, 20 + i));
    expect(stops.findIndex((t) => t?.kind === 'speech_stopped')).toBe(24);
    // A pause shorter than it asks, then more speech: no stop.
    for (let i = 0; i < 20; i++) push(true, 100 + i);
    askedMs = 500;
    const pause = Array.from({ length: 30 }, (_, i) => push(false, 120 + i));
    expect(pause.every((t) => t === undefined)).toBe(true);
  });
});
