import type { Payload } from '@voxbus/shared';
import { FakeClock } from '@voxbus/shared/testing';
import { describe, expect, it } from 'vitest';
import { TranscriptPacer } from '../src/transcript-pacer.js';

type Transcript = Payload<'realtime-gateway.event.transcript'>;
const delta = (text: string, itemId = 'a1'): Transcript => ({ role: 'assistant', kind: 'delta', itemId, responseId: 'r1', text });
const final = (text: string, itemId = 'a1'): Transcript => ({ role: 'assistant', kind: 'final', itemId, responseId: 'r1', text });

function rig(windowMs = 150) {
  const clock = new FakeClock();
  const sent: Transcript[] = [];
  return { clock, sent, pacer: new TranscriptPacer(windowMs, clock, (t) => sent.push(t)) };
}

describe('TranscriptPacer', () => {
  it('sends the first delta at once and joins the ones within the window into one, sent when it ends', () => {
    const { clock, sent, pacer } = rig();
    pacer.delta(delta('It '));
    expect(sent.map((t) => t.text)).toEqual(['It ']);
    clock.advance(20);
    pacer.delta(delta('will '));
    clock.advance(20);
    pacer.delta(delta('be '));
    expect(sent).toHaveLength(1);
    clock.advance(110);
    expect(sent.map((t) => t.text)).toEqual(['It ', 'will be ']);
    clock.advance(500);
    pacer.delta(delta('sunny.'));
    expect(sent.map((t) => t.text)).toEqual(['It ', 'will be ', 'sunny.']);
  });

  it('flushes what is pending before the final, so order and text are whole', () => {
    const { clock, sent, pacer } = rig();
    pacer.delta(delta('It '));
    pacer.delta(delta('will'));
    pacer.final(final('It will'));
    expect(sent.map((t) => [t.kind, t.text])).toEqual([['delta', 'It '], ['delta', 'will'], ['final', 'It will']]);
    clock.advance(1000);
    expect(sent).toHaveLength(3);
  });

  it('paces each item on its own, flushes all when the link closes, and passes everything through at 0', () => {
    const { sent, pacer } = rig();
    pacer.delta(delta('a', 'x'));
    pacer.delta(delta('b', 'x'));
    pacer.delta(delta('c', 'y'));
    expect(sent.map((t) => `${t.itemId}:${t.text}`)).toEqual(['x:a', 'y:c']);
    pacer.flushAll();
    expect(sent.map((t) => `${t.itemId}:${t.text}`)).toEqual(['x:a', 'y:c', 'x:b']);
    const direct = rig(0);
    direct.pacer.delta(delta('a'));
    direct.pacer.delta(delta('b'));
    expect(direct.sent.map((t) => t.text)).toEqual(['a', 'b']);
  });
});
