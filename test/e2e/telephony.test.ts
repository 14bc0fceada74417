import { decodeAudioFrame } from '@voxbus/shared';
import { Resampler } from '@voxbus/dsp';
import { AcsPeer, bestMatch, type CallerPeer, FreeswitchPeer, freePort, samples, speech, waitForPort } from '@voxbus/shared/testing';
import { describe, expect, it } from 'vitest';
import { type ConversationView, type TurnReport, turnReport, whereItStood } from '../helpers/board-stack.js';
import { cleanupAfterEach } from '../helpers/cleanup.js';
import { Probe } from '../helpers/probe.js';
import { type Spawned, stackPorts, startRunner } from '../helpers/processes.js';
import { waitFor } from '../helpers/wait.js';

const onCleanup = cleanupAfterEach();
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const MODEL_RATE_HZ = 24_000;

/** The assistant with the telephony bridge in place of the board's microphone and speaker: no sound card, no PulseAudio. */
const CALL_SERVICES = ['broker', 'realtime-sim', 'realtime-gateway', 'dsp', 'conversation-state', 'telephony-bridge'];

interface CallStack {
  readonly probe: Probe;
  readonly runner: Spawned;
  readonly bridgeUrl: string;
  readonly env: Record<string, string>;
}

async function callStack(services: readonly string[], env: Record<string, string> = {}): Promise<CallStack> {
  const ports = await stackPorts();
  const simPort = await freePort();
  const bridgePort = await freePort();
  const runner = startRunner([...services], {
    ...ports.env,
    VOXBUS_LOG__LEVEL: 'warn',
    VOXBUS_REALTIME_SIM__PORT: String(simPort),
    VOXBUS_REALTIME_GATEWAY__SIM_URL: `ws://127.0.0.1:${simPort}`,
    VOXBUS_REALTIME_GATEWAY__RECONNECT_INITIAL_MS: '100',
    VOXBUS_REALTIME_GATEWAY__TRANSCRIPTION_MODEL: 'whisper-1',
    VOXBUS_TELEPHONY_BRIDGE__HOST: '127.0.0.1',
    VOXBUS_TELEPHONY_BRIDGE__PORT: String(bridgePort),
    // A call has no room echo: the caller may talk over the reply, and the dsp has no echo to
    // cancel (its gate would at times take the caller's voice over the reply for one), as the README says.
    VOXBUS_CONVERSATION_STATE__MODE: 'full-duplex',
    VOXBUS_DSP__ECHO_CANCELLATION: 'false',
    ...env,
  });
  onCleanup(() => runner.stop('SIGKILL'));
  await waitForPort(ports.tcpPort, 15_000);
  const probe = await Probe.connect(ports.url);
  onCleanup(() => probe.close());
  await probe.subscribe('voxbus/#');
  await waitForPort(bridgePort, 15_000);
  await probe.waitForJson<{ state: string }>('voxbus/telephony-bridge/state', (s) => s.state === 'waiting', 15_000);
  return { probe, runner, bridgeUrl: `ws://127.0.0.1:${bridgePort}`, env: { ...ports.env, VOXBUS_LOG__LEVEL: 'warn' } };
}

/** The model's reply (audio/output of one item), resampled to the call's rate as a reference for what the caller should hear. */
function replyAtCallRate(probe: Probe, itemId: string, from: number, rateHz: number): Int16Array {
  const pcm = Buffer.concat(
    probe.messages
      .slice(from)
      .filter((m) => m.topic === 'voxbus/audio/output')
      .map((m) => decodeAudioFrame(m.payload))
      .filter((f) => f.item?.itemId === itemId)
      .map((f) => Buffer.from(f.pcm)),
  );
  return samples(new Resampler({ channels: 1, inRateHz: MODEL_RATE_HZ, outRateHz: rateHz, quality: 5 }).process(pcm));
}

const conversationState = (probe: Probe, state: string, from: number, timeoutMs = 10_000) =>
  probe.waitForJson<ConversationView>('voxbus/conversation/state', (s) => s.state === state, timeoutMs, from);

const PLATFORMS = [
  ['FreeSWITCH mod_audio_stream, 8 kHz L16', 'freeswitch', 8000],
  ['ACS bidirectional media streaming, 16 kHz', 'acs', 16_000],
] as const;

describe.each(PLATFORMS)('a phone call through the telephony bridge: %s', (_name, platform, rateHz) => {
  it('the caller asks and hears the answer, talks over the next reply and stops it, bad messages and a second call are refused, hang-up ends the conversation', async () => {
    const { probe, bridgeUrl } = await callStack(CALL_SERVICES, {
      VOXBUS_REALTIME_SIM__REPLY_TEMPLATE: 'You spoke for {seconds} seconds. Tomorrow will be mostly sunny, with a light breeze from the west.',
      VOXBUS_REALTIME_SIM__REALTIME_FACTOR: '2',
    });
    // Between calls the conversation is ended (the model's session closed).
    await conversationState(probe, 'ended', 0, 15_000);
    const [question, interruption] = await Promise.all([speech('What will the weather be like tomorrow?', rateHz), speech('Stop, stop. Thank you.', rateHz)]);
    const callAt = probe.messages.length;
    const caller: CallerPeer = platform === 'freeswitch' ? await FreeswitchPeer.dial(bridgeUrl, rateHz) : await AcsPeer.dial(bridgeUrl, rateHz);
    onCleanup(() => caller.stop());
    await probe.waitForJson<{ state: string; call: { platform: string; sampleRateHz: number } | null }>(
      'voxbus/telephony-bridge/state',
      (s) => s.state === 'in-call' && s.call?.platform === platform && s.call.sampleRateHz === rateHz,
      5000,
      callAt,
    );
    await probe.waitForJson<ConversationView>('voxbus/conversation/state', (s) => s.state === 'listening' && s.micOpen, 15_000, callAt);

    // A second call while this one is up: refused, saying why.
    const second = platform === 'freeswitch' ? await FreeswitchPeer.dial(bridgeUrl, rateHz) : await AcsPeer.dial(bridgeUrl, rateHz);
    onCleanup(() => second.stop());
    expect(await second.closed).toEqual({ code: 1013, reason: expect.stringMatching(/^voxbus: a call is already up on this board/) });

    // Turn 1: asked, answered, heard whole.
    const turn1 = probe.messages.length;
    const heardFrom = caller.received.length;
    await caller.say(question);
    const answered = await turnReport(probe, turn1, 30_000);
    expect(answered.outcome, `turn 1 (${whereItStood(probe, turn1)})`).toBe('answered');
    await probe.waitForJson<ConversationView>('voxbus/conversation/state', (s) => s.state === 'listening', 10_000, turn1);
    const item = probe.messages
      .slice(turn1)
      .map((m) => (m.topic === 'voxbus/audio/output' ? decodeAudioFrame(m.payload).item?.itemId : undefined))
      .find((id) => id !== undefined && !id.startsWith('earcon:')) as string;
    const reference = replyAtCallRate(probe, item, turn1, rateHz);
    const heard = samples(caller.audio(heardFrom));
    const heardMs = (heard.length / rateHz) * 1000;
    const replyMs = (reference.length / rateHz) * 1000;
    expect(heardMs, `the caller got ${Math.round(heardMs)} ms back for a reply of ${Math.round(replyMs)} ms`).toBeGreaterThan(replyMs - 100);
    // The reply's opening and its middle are found in what the caller got, nearly as sent.
    for (const atMs of [0, replyMs / 2]) {
      const piece = reference.subarray(Math.round((atMs * rateHz) / 1000), Math.round(((atMs + 300) * rateHz) / 1000));
      const match = bestMatch(piece, heard);
      expect(match?.correlation ?? 0, `the reply at ${Math.round(atMs)} ms in what the caller heard`).toBeGreaterThan(0.9);
    }
    expect(Math.abs((answered.heardMs ?? 0) - replyMs), `playback's heardMs ${answered.heardMs} against the reply's ${Math.round(replyMs)} ms`).toBeLessThan(100);

    // Turn 2: the caller talks over the reply.
    const turn2 = probe.messages.length;
    const turn2From = caller.received.length;
    await caller.say(question);
    await waitFor('1.2 s of the second reply at the caller', () => caller.receivedMs(turn2From) > 1200, 20_000);
    const clearsBefore = caller.clears.length;
    await caller.say(interruption);
    const interrupted = await turnReport(probe, turn2, 15_000);
    expect(interrupted.outcome, `turn 2 (${whereItStood(probe, turn2)})`).toBe('interrupted');
    const done = await probe.waitForJson<{ kind: string; status: string }>('voxbus/realtime-gateway/event/response', (r) => r.kind === 'done', 5000, turn2);
    expect(done.status).toBe('cancelled');
    const truncated = await probe.waitForJson<{ audio_end_ms: number }>('voxbus/realtime-gateway/event/raw/conversation.item.truncated', () => true, 5000, turn2);
    await waitFor(platform === 'acs' ? 'StopAudio at the caller' : 'the clear (killAudio) at the caller', () => caller.clears.length > clearsBefore, 3000);
    const clear = caller.clears[clearsBefore] as { atMs: number; receivedBefore: number };
    // What the caller heard of the reply: what came before the clear (the bridge sends in real time).
    const gotMs = caller.receivedMs(turn2From, clear.receivedBefore);
    expect(Math.abs(truncated.audio_end_ms - gotMs), `truncated at ${truncated.audio_end_ms} ms; the caller got ${Math.round(gotMs)} ms of the reply before the clear`).toBeLessThan(150);
    // After the clear, nothing of that reply: the next audio is the next reply's, if any, after a gap.
    await sleep(600);
    const after = caller.received.slice(clear.receivedBefore).filter((r) => r.atMs < clear.atMs + 500);
    expect(after.reduce((sum, r) => sum + r.pcm.length / 2, 0) / (rateHz / 1000), 'ms of audio sent within 500 ms after the clear').toBeLessThan(60);

    // Bad input mid-call: counted and said, the call goes on.
    const badAt = probe.messages.length;
    if (platform === 'acs') {
      caller.sendRaw(Buffer.from([1, 2, 3, 4]), true);
      caller.sendRaw('{"kind": ', false);
      caller.sendRaw(JSON.stringify({ kind: 'AudioMetadata', audioMetadata: { sampleRate: 8000, encoding: 'PCM', channels: 1 } }), false);
    } else {
      caller.sendRaw(Buffer.from([1, 2, 3]), true);
    }
    const metrics = await probe.waitForJson<{ counters: Record<string, number> }>(
      'voxbus/telephony-bridge/metrics',
      (m) => (m.counters['protocol.errors'] ?? 0) >= (platform === 'acs' ? 3 : 1),
      5000,
      badAt,
    );
    expect(metrics.counters).toMatchObject(platform === 'acs' ? { 'protocol.binary-not-json': 1, 'protocol.text-not-json': 1, 'protocol.bad-format': 1 } : { 'protocol.bad-audio': 1 });
    expect(metrics.counters['calls.refused']).toBe(1);
    const state = await probe.waitForJson<{ state: string; lastError: { code: string } | null }>('voxbus/telephony-bridge/state', (s) => s.lastError !== null, 5000, badAt);
    expect(state.state).toBe('in-call');
    expect(caller.unexpected, 'messages the platform would not understand').toEqual([]);

    // Hang-up ends the conversation; the bridge waits for the next call.
    const hangUpAt = probe.messages.length;
    await caller.hangUp();
    await conversationState(probe, 'ended', hangUpAt);
    await probe.waitForJson<{ state: string }>('voxbus/telephony-bridge/state', (s) => s.state === 'waiting', 5000, hangUpAt);
    const reports: TurnReport[] = probe.messages.slice(callAt).filter((m) => m.topic === 'voxbus/conversation/event/turn').map((m) => m.json as TurnReport);
    expect(reports.map((r) => r.outcome).slice(0, 2)).toEqual(['answered', 'interrupted']);
    expect(probe.latest('voxbus/telephony-bridge/status')?.json).toMatchObject({ status: 'online' });
  }, 60_000);
});
