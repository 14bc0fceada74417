import { describe, expect, it } from 'vitest';
import { AcsStream } from '../src/acs-stream.js';
import type { ProblemCode, StreamEvents } from '../src/call-stream.js';
import { FreeswitchStream } from '../src/freeswitch-stream.js';

function rig() {
  const sent: { text?: string; binary?: Buffer }[] = [];
  const rates: number[] = [];
  const audio: Buffer[] = [];
  const problems: { code: ProblemCode; message: string }[] = [];
  const events: StreamEvents = { format: (rate) => rates.push(rate), audio: (pcm) => audio.push(pcm), problem: (code, message) => problems.push({ code, message }) };
  const socket = { sendText: (text: string) => sent.push({ text }), sendBinary: (binary: Buffer) => sent.push({ binary }) };
  return { sent, rates, audio, problems, events, socket };
}

const text = (value: unknown) => Buffer.from(typeof value === 'string' ? value : JSON.stringify(value));
const pcm = (samples: number[]) => Buffer.from(new Int16Array(samples).buffer);

// The messages as learn.microsoft.com's "Audio streaming concepts" and the server-side audio
// streaming quickstart show them (ids and data shortened).
const ACS_METADATA = { kind: 'AudioMetadata', audioMetadata: { subscriptionId: '89e8cb59-b991-48b0-b154-1db84f16a077', encoding: 'PCM', sampleRate: 16000, channels: 1, length: 640 } };
const acsAudio = (data: Buffer, extra: Record<string, unknown> = {}) => ({
  kind: 'AudioData',
  audioData: { timestamp: '2024-11-15T19:16:12.925+00:00', participantRawID: '8:acs:3d20e1de-0f28-41c5-84c0-59155ff6e2a3', data: data.toString('base64'), silent: false, ...extra },
});

describe('ACS bidirectional media streaming, as the platform documents it', () => {
  it('takes the rate from AudioMetadata and the caller from AudioData; sends AudioData and StopAudio in the documented shapes', () => {
    const { sent, rates, audio, problems, events, socket } = rig();
    const stream = new AcsStream('call-1', socket, events);
    stream.receive(text(ACS_METADATA), false);
    stream.receive(text(acsAudio(pcm([1, 2, 3]))), false);
    expect(rates).toEqual([16000]);
    expect(audio).toEqual([pcm([1, 2, 3])]);
    stream.sendAudio(pcm([4, 5]));
    stream.clear();
    expect(sent.map((m) => JSON.parse(m.text as string))).toEqual([
      { kind: 'AudioData', audioData: { data: pcm([4, 5]).toString('base64') }, stopAudio: null },
      { kind: 'StopAudio', audioData: null, stopAudio: {} },
    ]);
    expect(problems).toEqual([]);
  });

  it('reads the PascalCase the C# samples send, plays a silent packet as zeros, and leaves other participants of an unmixed stream out', () => {
    const { audio, events, socket, problems } = rig();
    const stream = new AcsStream('call-2', socket, events);
    stream.receive(text({ Kind: 'AudioMetadata', AudioMetadata: { ...ACS_METADATA.audioMetadata, sampleRate: 24000 } }), false);
    stream.receive(text(acsAudio(pcm([7, 7]), { silent: true })), false);
    stream.receive(text(acsAudio(pcm([9]), { participantRawID: '8:acs:someone-else' })), false);
    expect(audio).toEqual([pcm([0, 0])]);
    expect(stream.otherParticipantFrames).toBe(1);
    expect(problems).toEqual([]);
  });

  it.each([
    ['binary where JSON is expected', pcm([1]), true, 'binary-not-json'],
    ['text that is not JSON', Buffer.from('hello'), false, 'text-not-json'],
    ['JSON without a kind', text({ audioData: {} }), false, 'malformed'],
    ['an unknown kind', text({ kind: 'Transcription' }), false, 'unknown-kind'],
    ['AudioData before AudioMetadata', text(acsAudio(pcm([1]))), false, 'out-of-order'],
    ['a rate ACS does not stream', text({ kind: 'AudioMetadata', audioMetadata: { ...ACS_METADATA.audioMetadata, sampleRate: 8000 } }), false, 'bad-format'],
  ] as const)('says what is wrong with %s, and goes on', (_name, data, isBinary, code) => {
    const { problems, audio, events, socket } = rig();
    const stream = new AcsStream('call-3', socket, events);
    stream.receive(data, isBinary);
    expect(problems.map((p) => p.code)).toEqual([code]);
    stream.receive(text(ACS_METADATA), false);
    stream.receive(text(acsAudio(pcm([5]))), false);
    expect(audio).toEqual([pcm([5])]);
  });

  it('keeps the first rate when a second AudioMetadata changes it, and drops audio of half a sample', () => {
    const { problems, rates, events, socket } = rig();
    const stream = new AcsStream('call-4', socket, events);
    stream.receive(text(ACS_METADATA), false);
    stream.receive(text({ kind: 'AudioMetadata', audioMetadata: { ...ACS_METADATA.audioMetadata, sampleRate: 24000 } }), false);
    stream.receive(text({ kind: 'AudioData', audioData: { data: Buffer.from([1, 2, 3]).toString('base64') } }), false);
    expect(rates).toEqual([16000]);
    expect(problems.map((p) => p.code)).toEqual(['format-changed', 'bad-audio']);
  });
});

describe("FreeSWITCH's mod_audio_stream, as its README and echo example show it", () => {
  it('takes the metadata text, then binary L16; replies with streamAudio JSON at the call rate, and the clear text on a flush', () => {
    const { sent, rates, audio, problems, events, socket } = rig();
    const stream = new FreeswitchStream({ callId: 'uuid-1', sampleRateHz: 8000, reply: 'streamAudio', clearText: '{"type":"killAudio"}' }, socket, events);
    stream.receive(Buffer.from('{"caller":"+15551234567"}'), false);
    stream.receive(pcm([1, -1]), true);
    expect(rates).toEqual([8000]);
    expect(audio).toEqual([pcm([1, -1])]);
    expect(stream.sentMetadata).toBe(true);
    stream.sendAudio(pcm([3]));
    stream.clear();
    expect(JSON.parse(sent[0]?.text as string)).toEqual({ type: 'streamAudio', data: { audioDataType: 'raw', sampleRate: 8000, audioData: pcm([3]).toString('base64') } });
    expect(sent[1]?.text).toBe('{"type":"killAudio"}');
    expect(problems).toEqual([]);
  });

  it('sends raw binary frames when asked, nothing on a flush when no clear text is set, and refuses a frame of half a sample', () => {
    const { sent, problems, audio, events, socket } = rig();
    const stream = new FreeswitchStream({ callId: 'uuid-2', sampleRateHz: 16000, reply: 'binary', clearText: '' }, socket, events);
    stream.sendAudio(pcm([3, 4]));
    stream.clear();
    stream.receive(Buffer.from([1, 2, 3]), true);
    expect(sent).toEqual([{ binary: pcm([3, 4]) }]);
    expect(problems.map((p) => p.code)).toEqual(['bad-audio']);
    expect(audio).toEqual([]);
  });
});
