import { describe, expect, it } from 'vitest';
import { decodeAudioFrame, encodeAudioFrame } from '@voxbus/shared';
import { freePort, waitForPort } from '@voxbus/shared/testing';
import { cleanupAfterEach } from '../../../test/helpers/cleanup.js';
import { Probe } from '../../../test/helpers/probe.js';
import { stackPorts, startRunner } from '../../../test/helpers/processes.js';
import { waitFor } from '../../../test/helpers/wait.js';

const onCleanup = cleanupAfterEach();

interface State {
  state: string;
  sessionId: string | null;
  reason: string | null;
}

async function stack(gatewayEnv: Record<string, string> = {}) {
  const ports = await stackPorts();
  const simPort = await freePort();
  const runner = startRunner(['broker', 'realtime-sim', 'realtime-gateway'], {
    ...ports.env,
    VOXBUS_REALTIME_SIM__PORT: String(simPort),
    VOXBUS_REALTIME_SIM__VOICE: 'synthetic',
    VOXBUS_REALTIME_GATEWAY__SIM_URL: `ws://127.0.0.1:${simPort}`,
    VOXBUS_REALTIME_GATEWAY__KEEPALIVE_MS: '1000',
    VOXBUS_REALTIME_GATEWAY__RECONNECT_INITIAL_MS: '100',
    ...gatewayEnv,
  });
  onCleanup(() => runner.stop('SIGKILL'));
  await waitForPort(ports.tcpPort, 15_000);
  const probe = await Probe.connect(ports.url);
  onCleanup(() => probe.close());
  await probe.subscribe('voxbus/#');
  // The sim subscribes to its fault commands before it says `online`: after this, commands land.
  await probe.waitForJson('voxbus/realtime-sim/status', (s: { status: string }) => s.status === 'online', 20_000);
  return { runner, probe, simPort };
}

function frame(sequence: number, amplitude: number): Buffer {
  const samples = new Int16Array(480);
  for (let i = 0; i < samples.length; i++) samples[i] = Math.round(Math.sin((2 * Math.PI * 300 * (sequence * 480 + i)) / 24000) * amplitude * 32767);
  return encodeAudioFrame({ sampleRateHz: 24000, channels: 1, sampleFormat: 's16le', sequence, captureTimeUs: sequence * 20_000, pcm: new Uint8Array(samples.buffer) });
}

/** Publishes 20 ms model-ready frames on audio/input, as the dsp would: [ms, amplitude] segments. */
async function speak(probe: Probe, segments: readonly (readonly [number, number])[]): Promise<void> {
  let sequence = 0;
  for (const [ms, amplitude] of segments) {
    for (let at = 0; at < ms; at += 20) await probe.publish('voxbus/audio/input', frame(sequence++, amplitude));
  }
}

/** The assistant's next final transcript (after message index `after`). */
function assistantFinal(probe: Probe, after = 0): Promise<{ text: string }> {
  return probe.waitForJson<{ role: string; kind: string; text: string }>(
    'voxbus/realtime-gateway/event/transcript',
    (t) => t.role === 'assistant' && t.kind === 'final',
    20_000,
    after,
  );
}

describe('realtime-gateway as its own process, with the sim over a real WebSocket', () => {
  it('uses the sim when no key is set, answers a spoken turn, and reconnects with the session re-applied', async () => {
    const { runner, probe } = await stack();
    const connected = await probe.waitForJson<State>('voxbus/realtime-gateway/state', (s) => s.state === 'connected' && s.sessionId !== null, 20_000);
    expect(runner.lines.some((line) => line.includes('using the local realtime simulator'))).toBe(true);

    await speak(probe, [[300, 0], [800, 0.3], [800, 0]]);
    const final = await assistantFinal(probe);
    expect(final.text).toBe('You spoke for 0.8 seconds.');
    expect(probe.on('voxbus/audio/output').length).toBeGreaterThan(20);
    expect(probe.on('voxbus/realtime-gateway/event/vad').map((m) => (m.json as { kind: string }).kind)).toEqual(['speech_started', 'speech_stopped']);

    // The service drops the socket: the gateway reconnects and applies its session again.
    const before = probe.messages.length;
    await probe.publish('voxbus/realtime-sim/cmd/fault', JSON.stringify({ kind: 'drop' }));
    await probe.waitForJson<State>('voxbus/realtime-gateway/state', (s) => s.state === 'reconnecting', 10_000, before);
    const again = await probe.waitForJson<State>('voxbus/realtime-gateway/state', (s) => s.state === 'connected' && s.sessionId !== null && s.sessionId !== connected.sessionId, 10_000, before);
    expect(again.sessionId).not.toBe(connected.sessionId);
    await waitFor('session.updated after the reconnect', () =>
      probe.messages.slice(before).some((m) => m.topic === 'voxbus/realtime-gateway/event/raw/session.updated'),
    );
  });

  it('stops in a clear error state, without a retry loop, when the service refuses the key', async () => {
    const simPort = await freePort();
    const { probe, runner } = await stack({
      VOXBUS_REALTIME_GATEWAY__PROVIDER: 'azure',
      VOXBUS_REALTIME_GATEWAY__ENDPOINT: `ws://127.0.0.1:${simPort}`,
      VOXBUS_REALTIME_GATEWAY__API_KEY: 'definitely-wrong',
      VOXBUS_REALTIME_SIM__PORT: String(simPort),
    });
    const error = await probe.waitForJson<State>('voxbus/realtime-gateway/state', (s) => s.state === 'error', 20_000);
    expect(error.reason).toMatch(/HTTP 401 at the handshake/);
    expect(runner.lines.join('\n')).not.toContain('definitely-wrong');
    // Retries while the sim was still starting are right; after the refusal there are none.
    const states = probe.on('voxbus/realtime-gateway/state').map((m) => (m.json as State).state);
    const errorAt = states.indexOf('error');
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const after = probe.on('voxbus/realtime-gateway/state').map((m) => (m.json as State).state).slice(errorAt + 1);
    expect(after.filter((state) => state !== 'error')).toEqual([]);
  });

  it.each([
    ['GA (Azure v1)', 'azure', ''],
    ['beta (Voice Live)', 'voice-live', '2025-10-01'],
    ['beta (Azure preview)', 'azure-preview', '2025-04-01-preview'],
  ] as const)('speaks the %s dialect: a spoken turn, and a tool call answered by another service over MQTT', async (_, provider, apiVersion) => {
    const simPort = await freePort();
    const tools = JSON.stringify([{ name: 'get_time', description: 'the time', parameters: { type: 'object', properties: {} } }]);
    const { probe } = await stack({
      VOXBUS_REALTIME_SIM__PORT: String(simPort),
      VOXBUS_REALTIME_GATEWAY__PROVIDER: provider,
      VOXBUS_REALTIME_GATEWAY__ENDPOINT: `ws://127.0.0.1:${simPort}`,
      VOXBUS_REALTIME_GATEWAY__API_KEY: 'voxbus-sim',
      VOXBUS_REALTIME_GATEWAY__API_VERSION: apiVersion,
      VOXBUS_REALTIME_GATEWAY__MODEL: 'gpt-4o-realtime-preview',
      VOXBUS_REALTIME_GATEWAY__TOOLS: tools,
    });
    const state = await probe.waitForJson<State & { dialect: string }>('voxbus/realtime-gateway/state', (s) => s.state === 'connected' && s.sessionId !== null, 20_000);
    expect(state.dialect).toBe(provider === 'azure' ? 'ga' : 'beta');

    // A spoken turn, as frames from the dsp would bring it.
    await speak(probe, [[300, 0], [600, 0.3], [800, 0]]);
    const spoken = await assistantFinal(probe);
    expect(spoken.text).toBe('You spoke for 0.6 seconds.');
    expect(probe.on('voxbus/audio/output').length).toBeGreaterThan(20);
    const afterSpoken = probe.messages.length;

    // A tool service, as any other process on the bus would be.
    const toolService = await Probe.connect(`mqtt://127.0.0.1:${probe.client.options.port}`);
    onCleanup(() => toolService.close());
    await toolService.subscribe('voxbus/tools/req/+');
    toolService.client.on('message', (topic, payload) => {
      if (!topic.startsWith('voxbus/tools/req/')) return;
      const request = JSON.parse(payload.toString()) as { requestId: string };
      void toolService.publish('voxbus/tools/res/get_time', JSON.stringify({ requestId: request.requestId, ok: true, data: { output: '{"time":"12:00"}' } }));
    });
    await probe.publish('voxbus/realtime-gateway/cmd/say', JSON.stringify({ text: 'please get_time' }));
    const final = await assistantFinal(probe, afterSpoken);
    expect(final.text).toBe('The tool answered: {"time":"12:00"}');
    expect(probe.on('voxbus/realtime-gateway/event/error')).toHaveLength(0);
  });

  it('survives a misbehaving service: fragments, garbage, unknown events, error events, oversized frames', async () => {
    // Every server event mirrored: the lifecycle ones too (rate_limits.updated is what a fragmented frame carries).
    const { probe, runner } = await stack({ VOXBUS_REALTIME_GATEWAY__MAX_MESSAGE_BYTES: String(1024 * 1024), VOXBUS_REALTIME_GATEWAY__RAW_SKIPPED: '[]' });
    const first = await probe.waitForJson<State>('voxbus/realtime-gateway/state', (s) => s.state === 'connected' && s.sessionId !== null, 20_000);
    const fault = (payload: object) => probe.publish('voxbus/realtime-sim/cmd/fault', JSON.stringify(payload));

    await fault({ kind: 'fragmented' });
    await probe.waitForJson('voxbus/realtime-gateway/event/raw/rate_limits.updated', () => true, 5000);
    await fault({ kind: 'unknown-event' });
    await probe.waitForJson('voxbus/realtime-gateway/event/raw/session.something_new', () => true, 5000);
    await fault({ kind: 'error' });
    await probe.waitForJson<{ code: string; fatal: boolean }>('voxbus/realtime-gateway/event/error', (e) => e.code === 'server_error' && !e.fatal, 5000);
    await fault({ kind: 'garbage' });
    await waitFor('the garbage logged', () => runner.lines.some((line) => line.includes('unparsable event from the realtime service dropped')));
    // None of that cost the link (retries before the sim was listening do not count).
    const states = probe.on('voxbus/realtime-gateway/state').map((m) => m.json as State);
    const sinceFirst = states.slice(states.findIndex((s) => s.sessionId === first.sessionId));
    expect(sinceFirst.map((s) => s.state).filter((s) => s !== 'connected')).toEqual([]);

    // A frame over maxMessageBytes closes the socket; the state says why, and the gateway reconnects.
    const before = probe.messages.length;
    await fault({ kind: 'oversized', bytes: 2 * 1024 * 1024 });
    const lost = await probe.waitForJson<State>('voxbus/realtime-gateway/state', (s) => s.state === 'reconnecting', 10_000, before);
    expect(lost.reason).toMatch(/Max payload size exceeded/);
    const again = await probe.waitForJson<State>('voxbus/realtime-gateway/state', (s) => s.state === 'connected' && s.sessionId !== null, 10_000, before);
    expect(again.sessionId).not.toBe(first.sessionId);
    expect(runner.lines.some((line) => /realtime-gateway.*restarted/.test(line))).toBe(false);
  });

  it('cancels and truncates on bus commands, producing what the real service would', async () => {
    const { probe } = await stack({ VOXBUS_REALTIME_SIM__REALTIME_FACTOR: '1.5' });
    await probe.waitForJson<State>('voxbus/realtime-gateway/state', (s) => s.state === 'connected' && s.sessionId !== null, 20_000);
    await probe.publish('voxbus/realtime-gateway/cmd/say', JSON.stringify({ text: 'tell me a long story about the board and its many little services please' }));
    await probe.waitForJson<{ kind: string }>('voxbus/realtime-gateway/event/response', (r) => r.kind === 'first_audio', 10_000);
    await probe.publish('voxbus/realtime-gateway/cmd/cancel', '{}');
    const done = await probe.waitForJson<{ kind: string; status: string; reason: string; audioMs: number }>('voxbus/realtime-gateway/event/response', (r) => r.kind === 'done', 10_000);
    expect(done).toMatchObject({ status: 'cancelled', reason: 'client_cancelled' });

    const frames = probe.on('voxbus/audio/output').map((m) => decodeAudioFrame(m.payload));
    const itemId = frames[0]?.item?.itemId as string;
    await probe.publish('voxbus/realtime-gateway/cmd/truncate', JSON.stringify({ itemId, audioEndMs: 120 }));
    const truncated = await probe.waitForJson<{ item_id: string; audio_end_ms: number }>('voxbus/realtime-gateway/event/raw/conversation.item.truncated', () => true, 5000);
    // Never more than was received: the gateway clamps to the audio the done event counted.
    expect(truncated).toMatchObject({ item_id: itemId, audio_end_ms: Math.min(120, Math.floor(done.audioMs)) });
    expect(probe.on('voxbus/realtime-gateway/event/error')).toHaveLength(0);
  });

  it('drops a link whose pings go unanswered (a stalled service) and connects again', async () => {
    const { probe } = await stack();
    const first = await probe.waitForJson<State>('voxbus/realtime-gateway/state', (s) => s.state === 'connected' && s.sessionId !== null, 20_000);
    const before = probe.messages.length;
    await probe.publish('voxbus/realtime-sim/cmd/fault', JSON.stringify({ kind: 'stall', durationMs: 4000 }));
    const again = await probe.waitForJson<State>(
      'voxbus/realtime-gateway/state',
      (s) => s.state === 'connected' && s.sessionId !== null && s.sessionId !== first.sessionId,
      10_000,
      before,
    );
    expect(again.sessionId).not.toBe(first.sessionId);
  });
});


describe('realtime-gateway session rotation, as its own process against a sim with a short cap', () => {
  it('moves to a fresh session before the cap, carrying the conversation, never ending a reply', async () => {
    const { probe } = await stack({
      // The sim ends a session after 8 s (the real cap is 60 min); the gateway rotates at 3 s.
      VOXBUS_REALTIME_SIM__SESSION_MAX_MS: '8000',
      VOXBUS_REALTIME_SIM__REALTIME_FACTOR: '1',
      VOXBUS_REALTIME_GATEWAY__SESSION_ROTATE_MS: '3000',
      VOXBUS_REALTIME_GATEWAY__SESSION_ROTATE_GRACE_MS: '4000',
      // The replayed items are seen in the new session's conversation.item.added, mirrored only on request.
      VOXBUS_REALTIME_GATEWAY__RAW_SKIPPED: '[]',
    });
    const first = await probe.waitForJson<State>('voxbus/realtime-gateway/state', (s) => s.state === 'connected' && s.sessionId !== null, 20_000);
    const asked = probe.messages.length;
    await probe.publish('voxbus/realtime-gateway/cmd/say', JSON.stringify({ text: 'my name is Ada' }));
    await assistantFinal(probe, asked);
    // A reply that is still playing when the rotation falls due (at 3 s): in real time, several seconds.
    const long = probe.messages.length;
    await probe.publish('voxbus/realtime-gateway/cmd/say', JSON.stringify({ text: 'tell me a very long story about a board that listens' }));
    const second = await probe.waitForJson<State>(
      'voxbus/realtime-gateway/state',
      (s) => s.state === 'connected' && s.sessionId !== null && s.sessionId !== first.sessionId,
      15_000,
      long,
    );
    const responses = probe.on('voxbus/realtime-gateway/event/response').map((m) => m.json as { kind: string; status: string });
    const states = probe.on('voxbus/realtime-gateway/state').map((m) => m.json as State);
    // Every reply begun in the first session ended completed before its session did.
    const before = probe.messages.findIndex((m) => m.topic === 'voxbus/realtime-gateway/state' && (m.json as State).sessionId === second.sessionId);
    const doneBefore = probe.messages.slice(0, before).filter((m) => m.topic === 'voxbus/realtime-gateway/event/response' && (m.json as { kind: string }).kind === 'done');
    expect(doneBefore.map((m) => (m.json as { status: string }).status), `responses: ${JSON.stringify(responses)}`).toEqual(['completed', 'completed']);
    // The new session holds the conversation: the sim acknowledged the replayed items.
    await waitFor('the replayed items acknowledged', () =>
      probe.messages.slice(before).filter((m) => m.topic === 'voxbus/realtime-gateway/event/raw/conversation.item.added').length >= 4,
    );
    const added = probe.messages
      .slice(before)
      .filter((m) => m.topic === 'voxbus/realtime-gateway/event/raw/conversation.item.added')
      .map((m) => (m.json as { item: { role: string; content: { text?: string }[] } }).item);
    // The old session's last events may still be mirrored after the new session's state (its
    // socket drains while the new one opens): the replay is the run that starts with the first turn.
    const replayFrom = added.findIndex((item) => item.role === 'user' && item.content[0]?.text === 'my name is Ada');
    const replayed = added.slice(Math.max(0, replayFrom));
    expect(replayed.slice(0, 2).map((item) => [item.role, item.content[0]?.text]), `items added: ${JSON.stringify(added.map((item) => [item.role, item.content[0]?.text]))}`).toEqual([
      ['user', 'my name is Ada'],
      ['assistant', 'You wrote: my name is Ada'],
    ]);
    // Rotated, not expired: the service never had to end the session itself.
    expect(probe.on('voxbus/realtime-gateway/event/error').map((m) => m.json)).toEqual([]);
    expect(states.filter((s) => s.reason?.includes('session_expired'))).toEqual([]);
  });
});
