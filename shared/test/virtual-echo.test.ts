import { align, type EchoOptions, endAbove, rms, samples, speech, startVirtualBoard, type VirtualBoard } from '@voxbus/shared/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
const RATE_HZ = 24_000;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

let words: Buffer;
beforeAll(async () => {
  words = await speech('The echo comes back.', RATE_HZ);
});

/** Plays speech on the board's speaker and finds it in the microphone: its delay (ms) and level (dB against the speaker). */
async function measureEcho(board: VirtualBoard): Promise<{ delayMs: number; gainDb: number; correlation: number; tailDb: number }> {
  const speaker = board.recordSpeaker(RATE_HZ);
  const microphone = board.recordMicrophone(RATE_HZ);
  await sleep(200);
  await board.playOnSpeaker(words, RATE_HZ);
  await sleep(800);
  const [played, heard] = await Promise.all([speaker.stop(), microphone.stop()]);
  const out = samples(played.pcm);
  const inp = samples(heard.pcm);
  const start = out.findIndex((v) => Math.abs(v) > 300);
  const reference = out.subarray(start, start + words.length / 2);
  const { lagSamples, correlation } = align(reference, inp);
  const delayMs = (heard.sampleTimeUs(lagSamples) - played.sampleTimeUs(start)) / 1000;
  const gainDb = 20 * Math.log10(rms(inp.subarray(lagSamples, lagSamples + reference.length)) / rms(reference));
  // The room's tail: what the microphone hears in the 200 ms after the echo of the last word, against the echo itself.
  const end = lagSamples + endAbove(reference, 0.01);
  const tailDb = 20 * Math.log10((rms(inp.subarray(end + RATE_HZ / 20, end + RATE_HZ / 4)) + 1e-9) / rms(inp.subarray(lagSamples, end)));
  return { delayMs, gainDb, correlation, tailDb };
}

describe('the virtual board\'s echo path, speaker to microphone', () => {
  const cases: [string, EchoOptions][] = [
    ['40 ms, -6 dB', { delayMs: 40, gainDb: -6 }],
    ['120 ms, -12 dB', { delayMs: 120, gainDb: -12 }],
    ['40 ms, -6 dB, with a reverberant tail', { delayMs: 40, gainDb: -6, reverb: true }],
  ];
  // One board for every case (each takes a couple of seconds to start), the path set anew each time.
  let board: VirtualBoard | undefined;
  afterAll(() => board?.stop());
  it.each(cases)('%s: heard with the delay and level asked for', async (_name, echo) => {
    board ??= await startVirtualBoard();
    await board.setEcho(echo);
    const measured = await measureEcho(board);
    expect(Math.abs(measured.delayMs - (echo.delayMs ?? 40)), `delay ${measured.delayMs.toFixed(1)} ms`).toBeLessThan(12);
    expect(Math.abs(measured.gainDb - (echo.gainDb ?? -6)), `level ${measured.gainDb.toFixed(1)} dB`).toBeLessThan(echo.reverb ? 4 : 1.5);
    if (echo.reverb) expect(measured.tailDb, 'the room\'s tail after the speaker stops').toBeGreaterThan(-50);
    else expect(measured.tailDb).toBeLessThan(-55);
  }, 30_000);

  it('without an echo path, nothing comes back', async () => {
    board ??= await startVirtualBoard();
    await board.setEcho(false);
    expect(board.echo).toBeUndefined();
    const none = await measureEcho(board);
    expect(none.correlation).toBeLessThan(0.2);
  }, 30_000);
});
