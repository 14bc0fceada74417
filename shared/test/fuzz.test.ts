import { describe, expect, it } from 'vitest';
import { CONTRACT, decodeMessage, TOPIC_KEYS } from '@voxbus/shared';
import { Fuzzer, FuzzTally } from '@voxbus/shared/testing';

describe('the fuzzer', () => {
  it('makes only messages the contract refuses, over every topic and every kind of damage, the same from the same seed', () => {
    const fuzzer = new Fuzzer(7);
    const messages = Array.from({ length: 4000 }, () => fuzzer.next());
    for (const message of messages) expect(() => decodeMessage(CONTRACT[message.key], message.payload), `${message.key} ${message.kind}`).toThrow();
    expect(new Set(messages.map((m) => m.key)).size).toBe(TOPIC_KEYS.length);
    const kinds = new Set(messages.map((m) => m.kind));
    for (const kind of ['not-json', 'wrong-types', 'deep', 'big-string', 'bad-magic', 'non-finite', 'too-long', 'item-flag-without-tag']) expect(kinds).toContain(kind);
    expect(messages.filter((m) => m.key === 'service.status' && m.retain)).toEqual([]);
    expect(messages.some((m) => m.retain)).toBe(true);
    const again = new Fuzzer(7);
    expect(Array.from({ length: 50 }, () => again.next().payload.toString('hex'))).toEqual(messages.slice(0, 50).map((m) => m.payload.toString('hex')));
  });
});

describe('the fuzz tally', () => {
  it('accepts a consumer that counted all of a key, or all naming it, and names any other count', () => {
    const tally = new FuzzTally();
    tally.add({ key: 'audio.mic', topic: 'voxbus/audio/mic', payload: Buffer.alloc(1), retain: false, kind: 'garbage' });
    tally.add({ key: 'audio.mic', topic: 'voxbus/audio/mic', payload: Buffer.alloc(1), retain: false, kind: 'garbage' });
    tally.add({ key: 'service.describe.req', topic: 'voxbus/dsp/req/describe', payload: Buffer.alloc(1), retain: false, kind: 'empty', owner: 'dsp' });
    tally.add({ key: 'service.describe.req', topic: 'voxbus/lcd/req/describe', payload: Buffer.alloc(1), retain: false, kind: 'empty', owner: 'lcd' });
    const good = tally.check(new Map([['dsp', { 'audio.mic': 2, 'service.describe.req': 1 }], ['lcd', { 'service.describe.req': 1 }]]));
    expect(good).toMatchObject({ wrong: [], countedTotal: 4 });
    expect([...good.consumed].sort()).toEqual(['audio.mic', 'service.describe.req']);
    const bad = tally.check(new Map([['dsp', { 'audio.mic': 1 }]]));
    expect(bad.wrong).toEqual(['dsp counted 1 on audio.mic: sent 2']);
  });
});
