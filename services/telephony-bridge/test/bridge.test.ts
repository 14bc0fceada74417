import type { AudioPeriod, PlayedPeriod } from '@voxbus/alsa';
import { createLogger, MetricsRegistry } from '@voxbus/shared';
import { FakeClock } from '@voxbus/shared/testing';
import { describe, expect, it } from 'vitest';
import { type IncomingStream, type TelephonyStatePayload, TelephonyBridge } from '../src/bridge.js';
import { CallLine, LINE_DEVICE } from '../src/call-line.js';
import { TELEPHONY_DEFAULTS, type TelephonyConfig } from '../src/config.js';

const LINE_RATE_HZ = 24_000;

function rig(config: Partial<TelephonyConfig> = {}) {
  const clock = new FakeClock();
  const metrics = new MetricsRegistry();
  const settings = { ...TELEPHONY_DEFAULTS, ...config };
  const line = new CallLine({ ...settings, sampleRateHz: settings.lineRateHz }, clock, {
    inboundDroppedMs: metrics.counter('line.inboundDroppedMs'),
    inboundUnderruns: metrics.counter('line.inboundUnderruns'),
    stalledPeriods: metrics.counter('line.stalledPeriods'),
  });
  const states: TelephonyStatePayload[] = [];
  const conversation: string[] = [];
  const bridge = new TelephonyBridge(settings, {
    line,
    clock,
    log: createLogger('test', 'silent'),
    metrics,
    publishState: (state) => states.push(state),
    startConversation: () => conversation.push('start'),
    endConversation: () => conversation.push('end'),
  });
  const connect = (path: string) => {
    const sent: (string | Buffer)[] = [];
    let closed: { code: number; reason: string } | undefined;
    const incoming: IncomingStream = {
      url: new URL(path, 'ws://bridge'),
      socket: { sendText: (text) => sent.push(text), sendBinary: (data) => sent.push(data) },
      close: (code, reason) => {
        closed = { code, reason };
      },
    };
    const handle = bridge.accept(incoming);
    return { handle, sent, closed: () => closed };
  };
  const counters = () => metrics.snapshot();
  return { clock, line, bridge, states, conversation, connect, counters };
}

/** A tone's samples at `rateHz`: the way in and out can be told apart from silence. */
function tone(rateHz: number, ms: number, amplitude = 8000): Buffer {
  const samples = new Int16Array(Math.round((rateHz * ms) / 1000));
  for (let i = 0; i < samples.length; i++) samples[i] = Math.round(amplitude * Math.sin((2 * Math.PI * 440 * i) / rateHz));
  return Buffer.from(samples.buffer);
}

const rms = (pcm: Buffer) => {
  let sum = 0;
  for (let i = 0; i + 1 < pcm.length; i += 2) sum += pcm.readInt16LE(i) ** 2;
  return Math.sqrt(sum / Math.max(1, pcm.length / 2));
};

const request = { device: LINE_DEVICE, sampleRateHz: LINE_RATE_HZ, channels: 1, periodFrames: 480, bufferFrames: 960 };

describe('the telephony bridge and its line', () => {
  it('takes one call at a time: a second stream is refused with 1013 and a reason, an unknown path with 1008', () => {
    const { connect, states, counters } = rig();
    const first = connect('/acs');
    expect(first.handle).toBeDefined();
    const second = connect('/freeswitch/abc');
    expect(second.handle).toBeUndefined();
    expect(second.closed()?.code).toBe(1013);
    expect(second.closed()?.reason).toMatch(/a call is already up on this board \(acs acs-1\)/);
    const lost = connect('/sip');
    expect(lost.closed()).toEqual({ code: 1008, reason: expect.stringMatching(/no media stream at \/sip: use \/freeswitch/) });
    const badRate = connect('/freeswitch?rate=banana');
    expect(badRate.closed()?.code).toBe(1008);
    expect(states.at(-1)).toMatchObject({ state: 'in-call', calls: 1, refused: 3 });
    expect(counters()).toMatchObject({ 'calls.taken': 1, 'calls.refused': 3 });
  });

  it("maps the call onto the conversation: start when it comes, end at hang-up, and ended between calls", () => {
    const { connect, conversation, bridge, states } = rig();
    bridge.conversationState('listening');
    bridge.conversationState('listening');
    expect(conversation).toEqual(['end']);
    bridge.conversationState('ended');
    const call = connect('/freeswitch/uuid-9?rate=16000');
    expect(conversation).toEqual(['end', 'start']);
    // During the call the conversation is the caller's.
    bridge.conversationState('listening');
    expect(states.at(-1)?.call).toMatchObject({ platform: 'freeswitch', callId: 'uuid-9', sampleRateHz: 16000 });
    call.handle?.closed(1000, 'hang-up');
    expect(conversation).toEqual(['end', 'start', 'end']);
    expect(states.at(-1)).toMatchObject({ state: 'waiting', call: null });
    // The next call is taken.
    expect(connect('/acs').handle).toBeDefined();
  });

  it("resamples the caller's 8 kHz to the line's rate for the microphone, and the speaker's reply back to 8 kHz for the call, in real time", async () => {
    const { clock, line, connect } = rig();
    const periods: AudioPeriod[] = [];
    const played: PlayedPeriod[] = [];
    await line.openCapture(request, { onPeriod: (period) => periods.push(period), onError: () => {} });
    const speaker = await line.openPlayback({ ...request, ringFrames: 24_000, fadeFrames: 120 }, { onPlayed: (period) => played.push(period), onError: () => {} });
    const call = connect('/freeswitch/uuid-1');
    // The caller speaks 200 ms, 20 ms a message, as mod_audio_stream sends it.
    for (let i = 0; i < 10; i++) call.handle?.receive(tone(8000, 20), true);
    speaker.write(tone(LINE_RATE_HZ, 200));
    clock.advance(400);
    expect(periods.length).toBe(20);
    expect(periods.every((p) => p.pcm.length === 480 * 2)).toBe(true);
    const loudIn = periods.filter((p) => rms(p.pcm) > 1000).length;
    expect(loudIn).toBeGreaterThanOrEqual(8);
    // Contiguous times on the period grid, 20 ms apart.
    expect(periods.slice(1).every((p, i) => p.timeUs - (periods[i] as AudioPeriod).timeUs === 20_000)).toBe(true);
    const replies = call.sent.filter((m): m is string => typeof m === 'string').map((m) => JSON.parse(m) as { type: string; data: { sampleRate: number; audioData: string } });
    expect(replies.length).toBe(10);
    expect(replies.every((r) => r.type === 'streamAudio' && r.data.sampleRate === 8000)).toBe(true);
    const back = Buffer.concat(replies.map((r) => Buffer.from(r.data.audioData, 'base64')));
    expect(back.length / 2).toBeGreaterThan(1500);
    expect(rms(back)).toBeGreaterThan(3000);
    // The echo reference runs on, silence included, whether or not a call is up.
    expect(played.length).toBe(20);
  });

  it('tells the platform to drop what it holds on a flush, and the speaker sends nothing more', async () => {
    const { clock, line, connect, bridge, counters } = rig();
    const speaker = await line.openPlayback({ ...request, ringFrames: 24_000, fadeFrames: 120 }, { onError: () => {} });
    const call = connect('/acs');
    call.handle?.receive(Buffer.from(JSON.stringify({ kind: 'AudioMetadata', audioMetadata: { subscriptionId: 's', encoding: 'PCM', sampleRate: 16000, channels: 1, length: 640 } })), false);
    speaker.write(tone(LINE_RATE_HZ, 1000));
    clock.advance(200);
    const at = call.sent.length;
    speaker.flush();
    bridge.flushed();
    clock.advance(400);
    const after = call.sent.slice(at).map((m) => JSON.parse(m as string) as { kind: string });
    expect(after[0]).toEqual({ kind: 'StopAudio', audioData: null, stopAudio: {} });
    // The flush's fade-out period at most, then silence, which is not sent.
    expect(after.slice(1).length).toBeLessThanOrEqual(1);
    expect(counters()).toMatchObject({ 'call.clears': 1 });
  });

  it('survives malformed and out-of-order messages: each counted, said in the state, the call going on', async () => {
    const { clock, line, connect, states, counters } = rig();
    const periods: AudioPeriod[] = [];
    await line.openCapture(request, { onPeriod: (period) => periods.push(period), onError: () => {} });
    const call = connect('/acs');
    const send = (value: unknown, isBinary = false) => call.handle?.receive(Buffer.isBuffer(value) ? value : Buffer.from(JSON.stringify(value)), isBinary);
    send({ kind: 'AudioData', audioData: { data: tone(16000, 20).toString('base64') } });
    send(Buffer.from('{"kind":'));
    send(tone(16000, 20), true);
    send({ kind: 'AudioMetadata', audioMetadata: { sampleRate: 16000, encoding: 'PCM', channels: 1 } });
    for (let i = 0; i < 10; i++) send({ kind: 'AudioData', audioData: { data: tone(16000, 20).toString('base64'), silent: false } });
    clock.advance(300);
    expect(counters()).toMatchObject({ 'protocol.errors': 3, 'protocol.out-of-order': 1, 'protocol.text-not-json': 1, 'protocol.binary-not-json': 1 });
    expect(states.at(-1)?.lastError).toMatchObject({ code: 'binary-not-json' });
    expect(periods.filter((p) => rms(p.pcm) > 1000).length).toBeGreaterThanOrEqual(8);
  });
});
