import { describe, expect, it } from 'vitest';
import {
  AUDIO_FRAME_LAYOUT,
  type AudioFrame,
  ContractError,
  decodeAudioFrame,
  encodeAudioFrame,
  frameCount,
  frameDurationMs,
  ProtocolError,
} from '@voxbus/shared';

function s16(samples: number[]): Uint8Array {
  return new Uint8Array(new Int16Array(samples).buffer);
}

const mono: AudioFrame = {
  sampleRateHz: 24_000,
  channels: 1,
  sampleFormat: 's16le',
  sequence: 41,
  captureTimeUs: 123_456_789_012,
  pcm: s16(Array.from({ length: 480 }, (_, i) => (i * 37) % 30000 - 15000)),
};

describe('audio frame codec', () => {
  it('round-trips a 20 ms mono s16 frame and computes its duration', () => {
    const decoded = decodeAudioFrame(encodeAudioFrame(mono));
    expect(decoded).toMatchObject({ sampleRateHz: 24_000, channels: 1, sampleFormat: 's16le', sequence: 41, captureTimeUs: 123_456_789_012 });
    expect(decoded.item).toBeUndefined();
    expect(Buffer.from(decoded.pcm).equals(Buffer.from(mono.pcm))).toBe(true);
    expect(frameCount(decoded)).toBe(480);
    expect(frameDurationMs(decoded)).toBe(20);
  });

  it('round-trips stereo f32, the u32 sequence limit and a 2^52 µs timestamp', () => {
    const pcm = new Uint8Array(new Float32Array([0.5, -0.5, 0.25, -0.25]).buffer);
    const frame: AudioFrame = { sampleRateHz: 48_000, channels: 2, sampleFormat: 'f32le', sequence: 0xffff_ffff, captureTimeUs: 2 ** 52, pcm };
    const decoded = decodeAudioFrame(encodeAudioFrame(frame));
    expect(decoded.sequence).toBe(0xffff_ffff);
    expect(decoded.captureTimeUs).toBe(2 ** 52);
    expect([...new Float32Array(Uint8Array.from(decoded.pcm).buffer)]).toEqual([0.5, -0.5, 0.25, -0.25]);
  });

  it('round-trips the item tag, UTF-8 ids included', () => {
    const item = { responseId: 'resp_ü1', itemId: 'item_日本', sampleOffset: 96_000 };
    const decoded = decodeAudioFrame(encodeAudioFrame({ ...mono, item }));
    expect(decoded.item).toEqual(item);
    expect(Buffer.from(decoded.pcm).equals(Buffer.from(mono.pcm))).toBe(true);
  });

  it('places every fixed field where the documented layout says', () => {
    const bytes = encodeAudioFrame({ ...mono, item: { responseId: 'r', itemId: 'it', sampleOffset: 7 } });
    const at = (name: string) => Number(AUDIO_FRAME_LAYOUT.find((field) => field.name === name)?.offset);
    expect(bytes.toString('ascii', at('magic'), at('magic') + 4)).toBe('VXAF');
    expect(bytes.readUInt8(at('version'))).toBe(1);
    expect(bytes.readUInt8(at('sampleFormat'))).toBe(1);
    expect(bytes.readUInt8(at('channels'))).toBe(1);
    expect(bytes.readUInt8(at('flags'))).toBe(1);
    expect(bytes.readUInt32LE(at('sampleRateHz'))).toBe(24_000);
    expect(bytes.readUInt32LE(at('sequence'))).toBe(41);
    expect(bytes.readUInt32LE(at('frameCount'))).toBe(480);
    expect(Number(bytes.readBigUInt64LE(at('captureTimeUs')))).toBe(123_456_789_012);
    expect(bytes.readUInt32LE(at('item.sampleOffset'))).toBe(7);
    expect(bytes.readUInt8(at('item.responseIdBytes'))).toBe(1);
    const headerBytes = bytes.readUInt16LE(at('headerBytes'));
    expect(headerBytes).toBe(32 + 4 + 1 + 1 + 1 + 2);
    expect(bytes.length - headerBytes).toBe(960);
  });

  it('skips header bytes it does not know (forward compatibility)', () => {
    const bytes = encodeAudioFrame(mono);
    const extended = Buffer.concat([bytes.subarray(0, 32), Buffer.alloc(8, 0xee), bytes.subarray(32)]);
    extended.writeUInt16LE(40, 8);
    expect(Buffer.from(decodeAudioFrame(extended).pcm).equals(Buffer.from(mono.pcm))).toBe(true);
  });

  const good = encodeAudioFrame(mono);
  const mutate = (edit: (b: Buffer) => Buffer | void): Buffer => {
    const copy = Buffer.from(good);
    return edit(copy) ?? copy;
  };
  const malformed: [string, Buffer, RegExp][] = [
    ['shorter than the header', good.subarray(0, 20), /shorter than the 32-byte header/],
    ['with a wrong magic', mutate((b) => void b.write('WAVE', 0)), /magic/],
    ['of another version', mutate((b) => void b.writeUInt8(9, 4)), /version 9/],
    ['with an unknown sample format', mutate((b) => void b.writeUInt8(77, 5)), /sampleFormat code 77/],
    ['with zero channels', mutate((b) => void b.writeUInt8(0, 6)), /channels 0/],
    ['with headerBytes past the end', mutate((b) => void b.writeUInt16LE(5000, 8)), /headerBytes 5000/],
    ['with an absurd rate', mutate((b) => void b.writeUInt32LE(5, 12)), /sampleRateHz 5/],
    ['at a rate below any voice', mutate((b) => void b.writeUInt32LE(1000, 12)), /sampleRateHz 1000 is outside 8000\.\.384000/],
    [
      'lasting over a second (checked before its PCM)',
      mutate((b) => {
        b.writeUInt32LE(8000, 12);
        b.writeUInt32LE(120_000, 20);
      }),
      /120000 frames at 8000 Hz is 15000 ms, over the 1000 ms a frame may last/,
    ],
    ['truncated in the PCM', good.subarray(0, good.length - 3), /carries 957 PCM bytes but its header announces 960/],
    ['with trailing bytes', Buffer.concat([good, Buffer.alloc(2)]), /carries 962 PCM bytes/],
    ['flagging an item tag it does not carry', mutate((b) => void b.writeUInt8(1, 7)), /item tag/],
    ['with a timestamp beyond 2^53 µs', mutate((b) => void b.writeUInt32LE(0xffff_ffff, 28)), /beyond 2\^53/],
  ];
  // f32le frames whose header is fine but one sample is NaN or infinite (written past the encoder's check).
  const f32With = (bad: number): Buffer => {
    const frame = encodeAudioFrame({ sampleRateHz: 24_000, channels: 1, sampleFormat: 'f32le', sequence: 1, captureTimeUs: 1, pcm: new Uint8Array(new Float32Array([0.25, -0.5, 0.1]).buffer) });
    frame.writeFloatLE(bad, frame.length - 8);
    return frame;
  };
  malformed.push(
    ['of f32le with a NaN sample', f32With(Number.NaN), /f32le sample 1 is NaN: samples must be finite/],
    ['of f32le with an infinite sample', f32With(Number.NEGATIVE_INFINITY), /f32le sample 1 is -Infinity/],
  );
  it.each(malformed)('rejects a frame %s with a ProtocolError that says why', (_, bytes, why) => {
    expect(() => decodeAudioFrame(bytes)).toThrow(ProtocolError);
    expect(() => decodeAudioFrame(bytes)).toThrow(why);
  });

  it('refuses to encode what it could not describe', () => {
    expect(() => encodeAudioFrame({ ...mono, pcm: new Uint8Array(3) })).toThrow(ContractError);
    expect(() => encodeAudioFrame({ ...mono, channels: 0 })).toThrow(/channels 0/);
    expect(() => encodeAudioFrame({ ...mono, sequence: -1 })).toThrow(/sequence/);
    expect(() => encodeAudioFrame({ ...mono, captureTimeUs: 1.5 })).toThrow(/captureTimeUs/);
    expect(() => encodeAudioFrame({ ...mono, item: { responseId: '', itemId: '', sampleOffset: 0 } })).toThrow(/itemId is empty/);
    expect(() => encodeAudioFrame({ ...mono, item: { responseId: 'x'.repeat(256), itemId: 'i', sampleOffset: 0 } })).toThrow(/responseId/);
    expect(() => encodeAudioFrame({ ...mono, sampleFormat: 'f32le', pcm: new Uint8Array(new Float32Array([0, Number.NaN]).buffer) })).toThrow(/f32le sample 1 is not finite/);
    expect(() => encodeAudioFrame({ ...mono, sampleRateHz: 8000, pcm: new Uint8Array(8001 * 2) })).toThrow(/over the 1000 ms a frame may last/);
    // Finite but beyond full scale is allowed (clipped by whoever plays or processes it).
    expect(() => encodeAudioFrame({ ...mono, sampleFormat: 'f32le', pcm: new Uint8Array(new Float32Array([0, 3.5]).buffer) })).not.toThrow();
  });
});
