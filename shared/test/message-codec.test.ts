import { describe, expect, it } from 'vitest';
import { CONTRACT, ContractError, decodeMessage, encodeAudioFrame, encodeMessage, ProtocolError } from '@voxbus/shared';

const online = {
  status: 'online',
  reason: 'running',
  service: 'dsp',
  version: '1.0.0',
  startedAt: '2026-11-21T12:00:00.000Z',
  pid: 42,
  host: 'board',
};
const frame = { sampleRateHz: 24_000, channels: 1, sampleFormat: 's16le', sequence: 1, captureTimeUs: 1, pcm: new Uint8Array(960) } as const;

describe('message codec', () => {
  it('encodes and decodes a valid JSON payload unchanged', () => {
    const bytes = encodeMessage(CONTRACT['service.status'], online);
    expect(decodeMessage(CONTRACT['service.status'], bytes)).toEqual(online);
  });

  it('names the field that breaks the schema, both ways', () => {
    expect(() => encodeMessage(CONTRACT['service.status'], { ...online, pid: 'x' })).toThrow(/payload\/pid must be integer/);
    const bad = Buffer.from(JSON.stringify({ ...online, status: 'maybe' }));
    expect(() => decodeMessage(CONTRACT['service.status'], bad)).toThrow(ProtocolError);
    expect(() => decodeMessage(CONTRACT['service.status'], bad)).toThrow(/payload\/status/);
  });

  it('rejects unknown fields: objects are closed', () => {
    const extra = Buffer.from(JSON.stringify({ ...online, colour: 'blue' }));
    expect(() => decodeMessage(CONTRACT['service.status'], extra)).toThrow(/additional properties/);
  });

  it('rejects non-JSON and empty payloads with a ProtocolError', () => {
    expect(() => decodeMessage(CONTRACT['service.status'], Buffer.from('{"status":'))).toThrow(/not JSON/);
    expect(() => decodeMessage(CONTRACT['service.status'], Buffer.alloc(0))).toThrow(ProtocolError);
  });

  it('enforces the payload size limit both ways', () => {
    expect(() => encodeMessage(CONTRACT['service.status'], { ...online, host: 'h'.repeat(5000) }, 2048)).toThrow(/over the 2048-byte limit/);
    expect(() => decodeMessage(CONTRACT['audio.mic'], Buffer.alloc(4096), 2048)).toThrow(/over the 2048-byte limit/);
  });

  it('applies each audio topic its format rule', () => {
    expect(() => encodeMessage(CONTRACT['audio.input'], { ...frame, sampleRateHz: 16_000 })).toThrow(/requires 24000/);
    expect(() => encodeMessage(CONTRACT['audio.output'], frame)).toThrow(/requires an item tag/);
    expect(() => encodeMessage(CONTRACT['audio.mic'], { ...frame, item: { responseId: 'r', itemId: 'i', sampleOffset: 0 } })).toThrow(ContractError);
    const stereo = encodeAudioFrame({ ...frame, channels: 2, pcm: new Uint8Array(1920) });
    expect(() => decodeMessage(CONTRACT['audio.input'], stereo)).toThrow(/channels is 2/);
    expect(decodeMessage(CONTRACT['audio.mic'], stereo)).toMatchObject({ channels: 2 });
  });
});
