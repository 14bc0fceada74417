import { describe, expect, it } from 'vitest';
import { decodeAudioFrame } from '@voxbus/shared';
import { realtimeEventErrors } from '@voxbus/shared/realtime';
import { ConfigError } from '@voxbus/shared';
import { GATEWAY_DEFAULTS } from '../src/config.js';
import { renderSessionUpdate } from '../src/session-render.js';
import { LinkHarness } from './link-harness.js';

const GA = { provider: 'openai', dialect: 'ga', model: 'gpt-realtime' } as const;
const BETA = { provider: 'voice-live', dialect: 'beta', model: 'gpt-realtime' } as const;

describe.each([
  ['GA', GA],
  ['beta (Voice Live)', BETA],
] as const)('the gateway link against the simulator, %s dialect', (_, endpoint) => {
  it('applies the configured session as soon as the session is created, without an error', () => {
    const h = new LinkHarness(endpoint);
    expect(h.sentByGateway[0]?.type).toBe('session.update');
    expect(h.simEvents.map((event) => event.type)).toContain('session.updated');
    expect(h.simEvents.filter((event) => event.type === 'error')).toEqual([]);
    expect(h.link.session).toMatch(/^sess_/);
  });

  it('takes turns by commits when told to (manual), and by server VAD that leaves barge-in to the board', async () => {
    const h = new LinkHarness(endpoint);
    h.gateway.setTurns({ mode: 'manual', interruptResponse: false });
    h.speak([[400, 0], [700, 0.3], [300, 0]]);
    await h.advance(1500);
    expect(h.published('voxbus/realtime-gateway/event/vad')).toEqual([]);
    h.link.commit();
    await h.advance(4000);
    expect(h.published('voxbus/realtime-gateway/event/response').map((r) => r.kind)).toEqual(['created', 'first_audio', 'done']);

    // Server turns without interrupt_response: speech over a running response leaves it running.
    h.gateway.setTurns({ mode: 'server', interruptResponse: false });
    h.link.say('a long question');
    h.speak([[700, 0.3], [700, 0]]);
    await h.advance(6000);
    expect(h.published('voxbus/realtime-gateway/event/vad').map((v) => v.kind)).toEqual(['speech_started', 'speech_stopped']);
    const done = h.published('voxbus/realtime-gateway/event/response').filter((r) => r.kind === 'done');
    expect(done.map((r) => r.status)).toEqual(['completed', 'completed']);
    expect(h.simEvents.filter((event) => event.type === 'error')).toEqual([]);
  });

  it('turns a spoken turn into VAD, lifecycle, transcript and tagged output frames on the bus', async () => {
    const h = new LinkHarness(endpoint);
    h.speak([[400, 0], [700, 0.3], [700, 0]]);
    await h.advance(4000);
    expect(h.published('voxbus/realtime-gateway/event/vad').map((v) => v.kind)).toEqual(['speech_started', 'speech_stopped']);
    const lifecycle = h.published('voxbus/realtime-gateway/event/response');
    expect(lifecycle.map((r) => r.kind)).toEqual(['created', 'first_audio', 'done']);
    expect(lifecycle.at(-1)).toMatchObject({ status: 'completed', reason: null });
    const finals = h.published('voxbus/realtime-gateway/event/transcript').filter((t) => t.kind === 'final');
    expect(finals).toEqual([expect.objectContaining({ role: 'assistant', text: 'You spoke for 0.7 seconds.' })]);

    const frames = h.broker.log.filter((entry) => entry.topic === 'voxbus/audio/output').map((entry) => decodeAudioFrame(entry.bytes));
    const simAudioBytes = h.simEvents.filter((e) => String(e.type).endsWith('audio.delta')).reduce((sum, e) => sum + Buffer.from(String(e.delta), 'base64').length, 0);
    expect(frames.reduce((sum, frame) => sum + frame.pcm.length, 0)).toBe(simAudioBytes);
    expect(frames.slice(0, -1).every((frame) => frame.pcm.length === 960)).toBe(true); // 20 ms each, the last may be shorter
    let offset = 0;
    for (const frame of frames) {
      expect(frame.item?.sampleOffset).toBe(offset);
      offset += frame.pcm.length / 2;
    }
    expect(new Set(frames.map((frame) => frame.item?.itemId)).size).toBe(1);
    expect(frames.map((frame) => frame.sequence)).toEqual(frames.map((_, i) => i));
    // Every client event the gateway sent is valid in its dialect.
    expect(h.sentByGateway.map((event) => realtimeEventErrors(endpoint.dialect, 'client', event)).filter(Boolean)).toEqual([]);
    expect(h.counter('events.refusedBySchema')).toBe(0);
    // The sim answers within one 5 ms step of the fake clock; a latency measured on the wall
    // clock instead (or never reset between turns) would not be this small.
    expect(h.counter('turns.answered')).toBe(1);
    expect(h.metrics.snapshot()).toHaveProperty(['turn.lastSpeechStoppedToFirstAudioMs']);
    expect(h.counter('turn.lastSpeechStoppedToFirstAudioMs')).toBeLessThanOrEqual(5);
    expect(h.counter('audio.msReceived')).toBe(Math.round(simAudioBytes / 48));
  });

  it('cancels and truncates on command, clamping to the audio actually received', async () => {
    const h = new LinkHarness(endpoint);
    h.peer.publish('realtime-gateway.cmd.say', {}, { text: 'tell me a long story please now' });
    await h.advance(60);
    const itemId = String(h.simEvents.find((e) => String(e.type).endsWith('audio.delta'))?.item_id);
    h.peer.publish('realtime-gateway.cmd.cancel', {}, {});
    expect(h.published('voxbus/realtime-gateway/event/response').at(-1)).toMatchObject({ kind: 'done', status: 'cancelled', reason: 'client_cancelled' });
    h.peer.publish('realtime-gateway.cmd.truncate', {}, { itemId, audioEndMs: 60_000 });
    const truncate = h.sentByGateway.find((event) => event.type === 'conversation.item.truncate') as { audio_end_ms: number };
    const receivedMs = h.simEvents.filter((e) => String(e.type).endsWith('audio.delta')).reduce((sum, e) => sum + Buffer.from(String(e.delta), 'base64').length / 48, 0);
    expect(truncate.audio_end_ms).toBe(Math.floor(receivedMs));
    expect(h.simEvents.at(-1)).toMatchObject({ type: 'conversation.item.truncated', audio_end_ms: Math.floor(receivedMs) });
    expect(h.published('voxbus/realtime-gateway/event/raw/conversation.item.truncated')).toHaveLength(1);
    expect(h.published('voxbus/realtime-gateway/event/error')).toEqual([]);
  });

  it('hands a tool call to the bus and continues the turn with the answer', async () => {
    const tools = [{ name: 'get_time', description: 'the time', parameters: { type: 'object', properties: {} } }];
    const h = new LinkHarness(endpoint, { tools });
    h.peer.subscribe('clock-service', 'tools.req', { name: 'get_time' }, ({ payload }) => {
      h.peer.publish('tools.res', { name: 'get_time' }, { requestId: payload.requestId, ok: true, data: { output: '{"time":"12:00"}' } });
    });
    h.peer.publish('realtime-gateway.cmd.say', {}, { text: 'please get_time' });
    await h.advance(4000);
    expect(h.published('voxbus/tools/req/get_time')).toEqual([expect.objectContaining({ name: 'get_time', arguments: '{}' })]);
    const finals = h.published('voxbus/realtime-gateway/event/transcript').filter((t) => t.kind === 'final');
    expect(finals.at(-1)).toMatchObject({ role: 'assistant', text: 'The tool answered: {"time":"12:00"}' });
    expect(h.simEvents.filter((event) => event.type === 'error')).toEqual([]);
  });

  it('forgets tool calls and item audio of a session that is gone: nothing of it is sent to the new one', async () => {
    const tools = [{ name: 'slow_tool', description: 'x', parameters: { type: 'object', properties: {} } }];
    const h = new LinkHarness(endpoint, { tools, toolTimeoutMs: 60_000 });
    h.peer.publish('realtime-gateway.cmd.say', {}, { text: 'please slow_tool' });
    await h.advance(4000);
    const request = h.published('voxbus/tools/req/slow_tool')[0] as { requestId: string };
    expect(request, 'the tool call reached the bus').toBeDefined();
    h.peer.publish('realtime-gateway.cmd.say', {}, { text: 'tell me a long story please now' });
    await h.advance(60);
    const oldItem = String(h.simEvents.findLast((e) => String(e.type).endsWith('audio.delta'))?.item_id);

    h.reconnect();
    const sentBefore = h.sentByGateway.length;
    // The answer and the truncate come late, for the old session.
    h.peer.publish('tools.res', { name: 'slow_tool' }, { requestId: request.requestId, ok: true, data: { output: '{"late":true}' } });
    h.peer.publish('realtime-gateway.cmd.truncate', {}, { itemId: oldItem, audioEndMs: 100 });
    await h.advance(2000);
    const sentAfter = h.sentByGateway.slice(sentBefore).map((event) => event.type);
    expect(sentAfter, 'client events sent to the new session').toEqual([]);
    expect(h.simEvents.filter((event) => event.type === 'error'), 'errors from the new session').toEqual([]);
    // The new session works as a new one.
    h.peer.publish('realtime-gateway.cmd.say', {}, { text: 'hello' });
    await h.advance(4000);
    expect(h.published('voxbus/realtime-gateway/event/transcript').filter((t) => t.kind === 'final').at(-1)).toMatchObject({ text: 'You wrote hello.' });
  });

  it('answers a tool call nobody answers with an error result, and the turn goes on', async () => {
    const tools = [{ name: 'nobody_home', description: 'x', parameters: { type: 'object', properties: {} } }];
    const h = new LinkHarness(endpoint, { tools, toolTimeoutMs: 500 });
    h.peer.publish('realtime-gateway.cmd.say', {}, { text: 'nobody_home' });
    await h.advance(5000);
    expect(h.counter('tools.timedOut')).toBe(1);
    const finals = h.published('voxbus/realtime-gateway/event/transcript').filter((t) => t.kind === 'final');
    expect(String(finals.at(-1)?.text)).toMatch(/did not answer within 500 ms/);
  });

  it('refuses a raw client event that breaks the official schema, and sends a valid one', () => {
    const h = new LinkHarness(endpoint);
    const before = h.sentByGateway.length;
    h.peer.publish('realtime-gateway.cmd.raw', {}, { event: { type: 'conversation.item.truncate', item_id: 5 } as { type: string } });
    expect(h.sentByGateway.length).toBe(before);
    expect(h.counter('events.refusedBySchema')).toBe(1);
    h.peer.publish('realtime-gateway.cmd.raw', {}, { event: { type: 'input_audio_buffer.clear' } });
    expect(h.simEvents.at(-1)?.type).toBe('input_audio_buffer.cleared');
  });

  it('leaves the lifecycle events off event/raw by default, counted, and mirrors them when rawSkipped is []', () => {
    const lifecycle = JSON.stringify({ type: 'rate_limits.updated', event_id: 'e', rate_limits: [] });
    const quiet = new LinkHarness(endpoint);
    quiet.link.receive(lifecycle);
    expect(quiet.published('voxbus/realtime-gateway/event/raw/rate_limits.updated')).toEqual([]);
    expect(quiet.counter('events.notMirrored')).toBe(1);
    const everything = new LinkHarness(endpoint, { rawSkipped: [] });
    everything.link.receive(lifecycle);
    expect(everything.published('voxbus/realtime-gateway/event/raw/rate_limits.updated')).toHaveLength(1);
  });

  it('mirrors server events without a topic of their own, audio stripped, and survives garbage', () => {
    const h = new LinkHarness(endpoint);
    expect(h.published('voxbus/realtime-gateway/event/raw/session.created')).toHaveLength(1);
    h.link.receive('{"type": ');
    h.link.receive(JSON.stringify({ type: 'conversation.item.retrieved', event_id: 'e', item: { content: [{ audio: 'AAAA', transcript: 'x' }] } }));
    const retrieved = h.published('voxbus/realtime-gateway/event/raw/conversation.item.retrieved')[0] as { item: { content: { audio: string }[] } };
    expect(retrieved.item.content[0]?.audio).toBe('<3 bytes of audio>');
    h.link.receive(JSON.stringify({ type: 'something.new.from.the.service', event_id: 'e' }));
    expect(h.published('voxbus/realtime-gateway/event/raw/something.new.from.the.service')).toHaveLength(1);
    expect(h.counter('events.unparsable')).toBe(1);
  });

  it('drops a session patch the service refuses, so later updates go through; refuses a patch nested absurdly deep', () => {
    const h = new LinkHarness(endpoint);
    const errorsBefore = h.simEvents.filter((event) => event.type === 'error').length;
    // The contract takes any object as a patch; the service refuses an unknown field (the whole update).
    h.peer.publish('realtime-gateway.cmd.update-session', {}, { session: { made_up_setting: true } });
    const errors = h.simEvents.filter((event) => event.type === 'error');
    expect(errors.length, 'the service refused the patch').toBe(errorsBefore + 1);
    expect(h.counter('session.patchesRefused')).toBe(1);
    // Undone and the session set again without it: accepted.
    expect(h.simEvents.at(-1)?.type).toBe('session.updated');
    expect(JSON.stringify(h.sentByGateway.at(-1))).not.toContain('made_up_setting');
    // Later changes go through (before, each carried the refused field and was refused with it).
    h.peer.publish('realtime-gateway.cmd.update-session', {}, { session: { instructions: 'Answer in one sentence.' } });
    h.gateway.setTurns({ mode: 'manual', interruptResponse: false });
    expect(h.simEvents.filter((event) => event.type === 'error').length).toBe(errorsBefore + 1);
    expect(h.simEvents.at(-1)?.type).toBe('session.updated');
    expect(JSON.stringify(h.sentByGateway.at(-1))).toContain('Answer in one sentence.');
    // Thousands of levels deep: refused before anything is sent (it overflowed the stack on every later update).
    let deep: Record<string, unknown> = {};
    for (let level = 0; level < 5000; level++) deep = { a: deep };
    const sent = h.sentByGateway.length;
    expect(h.gateway.patchSession({ tools: [deep] })).toMatch(/nested over 12 levels deep/);
    expect(h.sentByGateway.length).toBe(sent);
    expect(h.counter('session.patchesRefused')).toBe(2);
    h.peer.publish('realtime-gateway.cmd.update-session', {}, { session: { instructions: 'Still fine.' } });
    expect(h.simEvents.at(-1)?.type).toBe('session.updated');
  });

  it('logs what a flood of bad commands causes once per kind, and counts every one', () => {
    const h = new LinkHarness(endpoint);
    const logged = (text: string) => h.logLines.filter((line) => String(line.msg).includes(text)).length;
    for (let n = 0; n < 500; n++) {
      h.peer.publish('realtime-gateway.cmd.raw', {}, { event: { type: 'conversation.item.truncate', item_id: n } as { type: string } });
      h.peer.publish('realtime-gateway.cmd.truncate', {}, { itemId: `item_${n}`, audioEndMs: 10 });
      h.peer.publish('tools.res', { name: 'lookup' }, { requestId: `call_${n}`, ok: true, data: { output: 'x' } });
    }
    expect(h.counter('events.refusedBySchema')).toBe(500);
    expect(h.counter('commands.truncateUnknownItem')).toBe(500);
    expect(h.counter('tools.answersDropped')).toBe(500);
    expect([logged('client event refused: it breaks'), logged('raw client event refused'), logged('truncate: no assistant audio'), logged('tool answer dropped')]).toEqual([1, 1, 1, 1]);
    // Ten seconds on, one more line each, saying how many were not logged.
    h.clock.advance(10_001);
    h.peer.publish('realtime-gateway.cmd.truncate', {}, { itemId: 'item_late', audioEndMs: 10 });
    const last = h.logLines.filter((line) => String(line.msg).includes('truncate: no assistant audio')).at(-1);
    expect(last?.suppressedSinceLast).toBe(499);
  });

  it('drops input audio while disconnected, counted, instead of queuing stale audio', () => {
    const h = new LinkHarness(endpoint);
    h.connected = false;
    h.speak([[100, 0.3]]);
    expect(h.counter('input.framesDroppedOffline')).toBe(5);
  });
});

describe.each([
  ['GA', GA],
  ['beta (Voice Live)', BETA],
] as const)('one conversation over several sessions, %s dialect', (_, endpoint) => {
  const sent = (h: LinkHarness, from: number) => h.sentByGateway.slice(from).map((event) => event.type);
  const sessions = (h: LinkHarness) => h.simEvents.filter((event) => event.type === 'session.created').length;

  it('speaks first when a conversation starts (greeting), not when a session merely continues it', async () => {
    const h = new LinkHarness(endpoint, { greeting: 'Greet the user in five words.' });
    expect(h.sentByGateway.slice(0, 2)).toEqual([
      expect.objectContaining({ type: 'session.update' }),
      { type: 'response.create', response: { instructions: 'Greet the user in five words.' } },
    ]);
    await h.advance(3000);
    expect(h.published('voxbus/realtime-gateway/event/response').map((r) => r.kind)).toEqual(['created', 'first_audio', 'done']);
    const before = h.sentByGateway.length;
    h.reconnect(); // a dropped link: the same conversation
    expect(sent(h, before)).not.toContain('response.create');
    h.gateway.reconnect('reconnect command'); // a new conversation
    expect(sent(h, before)).toContain('response.create');
    expect(h.counter('events.refusedBySchema')).toBe(0);
  });

  it('carries the conversation into the next session as items the service accepts', async () => {
    const h = new LinkHarness(endpoint);
    h.peer.publish('realtime-gateway.cmd.say', {}, { text: 'my name is Ada' });
    await h.advance(4000);
    const before = h.sentByGateway.length;
    const simBefore = h.simEvents.length;
    h.reconnect();
    const replayed = h.sentByGateway.slice(before).filter((event) => event.type === 'conversation.item.create') as { item: { role: string; content: { text: string }[] } }[];
    expect(replayed.map((event) => [event.item.role, event.item.content[0]?.text])).toEqual([
      ['user', 'my name is Ada'],
      ['assistant', 'You wrote my name is Ada.'],
    ]);
    const added = h.simEvents.slice(simBefore).filter((event) => event.type === 'conversation.item.added' || event.type === 'conversation.item.created');
    expect(added).toHaveLength(2);
    expect(h.simEvents.slice(simBefore).filter((event) => event.type === 'error')).toEqual([]);
    expect(h.counter('events.refusedBySchema')).toBe(0);
    // A new conversation starts empty.
    const beforeNew = h.sentByGateway.length;
    h.gateway.reconnect('reconnect command');
    expect(sent(h, beforeNew)).not.toContain('conversation.item.create');
  });

  it('rotates a session that is due at a quiet moment: never during a reply', async () => {
    const h = new LinkHarness(endpoint, { sessionRotateGraceMs: 60_000 });
    h.peer.publish('realtime-gateway.cmd.say', {}, { text: 'tell me a long story please now' });
    await h.advance(100);
    expect(h.link.quiet).toBe(false);
    h.rotationDue();
    await h.advance(100);
    expect(sessions(h), 'rotated in the middle of the reply').toBe(1);
    await h.advance(6000);
    const done = h.published('voxbus/realtime-gateway/event/response').filter((r) => r.kind === 'done');
    expect(done.map((r) => r.status)).toEqual(['completed']);
    expect(sessions(h), 'rotated once the reply was done').toBe(2);
    expect(h.link.session).toMatch(/^sess_/);
  });

  it('rotates anyway when no quiet moment comes within the grace, before the cap would', async () => {
    const h = new LinkHarness(endpoint, { sessionRotateGraceMs: 1000 });
    h.speak([[600, 0.3]]); // the user starts talking and does not stop
    await h.advance(100);
    expect(h.published('voxbus/realtime-gateway/event/vad').map((v) => v.kind)).toEqual(['speech_started']);
    h.rotationDue();
    await h.advance(500);
    expect(sessions(h)).toBe(1);
    await h.advance(600);
    expect(sessions(h)).toBe(2);
  });
});

describe('when the link is quiet (a rotation may happen)', () => {
  it('is not quiet from a response.create until its response is done', async () => {
    const { RealtimeLink } = await import('../src/realtime-link.js');
    const { MetricsRegistry } = await import('@voxbus/shared');
    const { FakeClock, MemoryBroker, MemoryBus } = await import('@voxbus/shared/testing');
    const pino = (await import('pino')).default;
    const sent: string[] = [];
    const link = new RealtimeLink({
      dialect: 'ga', bus: new MemoryBus(new MemoryBroker()), clock: new FakeClock(0), log: pino({ level: 'silent' }), metrics: new MetricsRegistry(),
      send: (text) => sent.push(text) > 0, onSession: () => {}, appendBatchMs: 100, frameMs: 20, toolTimeoutMs: 1000,
    });
    link.receive(JSON.stringify({ type: 'session.created', event_id: 'e0', session: { type: 'realtime', id: 'sess_1', object: 'realtime.session' } }));
    expect(link.quiet).toBe(true);
    link.say('hello');
    expect(sent.map((text) => (JSON.parse(text) as { type: string }).type)).toEqual(['conversation.item.create', 'response.create']);
    expect(link.quiet, 'asked for a response that has not been created yet').toBe(false);
    link.receive(JSON.stringify({ type: 'response.created', event_id: 'e1', response: { id: 'resp_1', object: 'realtime.response', status: 'in_progress', output: [] } }));
    expect(link.quiet, 'a response running').toBe(false);
    link.receive(JSON.stringify({ type: 'response.done', event_id: 'e2', response: { id: 'resp_1', object: 'realtime.response', status: 'completed', output: [] } }));
    expect(link.quiet).toBe(true);
  });
});

describe('semantic VAD against the sim, which rejects what the real service rejects', () => {
  it('configures a semantic_vad session without an error', () => {
    const h = new LinkHarness(GA, {
      turnDetection: { type: 'semantic_vad', eagerness: 'low', threshold: 0.5, prefixPaddingMs: 300, silenceDurationMs: 500, createResponse: true, interruptResponse: true },
    });
    expect(h.simEvents.filter((event) => event.type === 'error')).toEqual([]);
    expect(h.simEvents.some((event) => event.type === 'session.updated')).toBe(true);
  });
});

describe('server events, as the schema has them', () => {
  it('asks a beta tool call by the name its item carried (beta arguments.done has none)', () => {
    const h = new LinkHarness(BETA);
    const base = { response_id: 'resp_x', output_index: 0 };
    h.link.receive(JSON.stringify({ type: 'response.output_item.added', event_id: 'e1', ...base, item: { id: 'item_x', type: 'function_call', call_id: 'call_x', name: 'get_time', arguments: '' } }));
    h.link.receive(JSON.stringify({ type: 'response.function_call_arguments.done', event_id: 'e2', ...base, item_id: 'item_x', call_id: 'call_x', arguments: '{}' }));
    expect(h.published('voxbus/tools/req/get_time')).toEqual([{ requestId: 'call_x', name: 'get_time', arguments: '{}' }]);
    expect(h.counter('events.offSchema')).toBe(0);
  });

  it('does not act on an event that breaks its schema: counted, mirrored raw, nothing else', () => {
    const h = new LinkHarness(GA);
    const before = h.published('voxbus/realtime-gateway/event/vad').length;
    h.link.receive(JSON.stringify({ type: 'input_audio_buffer.speech_started', event_id: 'e1', audio_start_ms: 'soon', item_id: 'item_1' }));
    expect(h.published('voxbus/realtime-gateway/event/vad')).toHaveLength(before);
    expect(h.counter('events.offSchema')).toBe(1);
    expect(h.published('voxbus/realtime-gateway/event/raw/input_audio_buffer.speech_started')).toEqual([
      expect.objectContaining({ audio_start_ms: 'soon' }),
    ]);
  });

  it('publishes the link connected with its session id once the session exists', () => {
    const h = new LinkHarness(GA);
    const states = h.published('voxbus/realtime-gateway/state');
    expect(states.at(-1)).toMatchObject({ state: 'connected', provider: 'openai', dialect: 'ga', sessionId: h.link.session });
    expect(h.link.session).toMatch(/^sess_/);
  });
});

describe('Voice Live session fields', () => {
  it('sends its voices, azure VAD, deep noise suppression and echo cancellation, and the service takes them', () => {
    const h = new LinkHarness(BETA, {
      voice: 'en-US-AvaNeural',
      voiceType: 'azure-standard',
      noiseReduction: 'azure_deep_noise_suppression',
      echoCancellation: true,
      turnDetection: { type: 'azure_semantic_vad', threshold: 0.5, prefixPaddingMs: 300, silenceDurationMs: 500, createResponse: true, interruptResponse: true },
    });
    const update = h.sentByGateway[0] as { session: Record<string, unknown> };
    expect(update.session).toMatchObject({
      voice: { type: 'azure-standard', name: 'en-US-AvaNeural' },
      input_audio_noise_reduction: { type: 'azure_deep_noise_suppression' },
      input_audio_echo_cancellation: { type: 'server_echo_cancellation' },
      turn_detection: { type: 'azure_semantic_vad' },
    });
    expect(h.simEvents.filter((event) => event.type === 'error')).toEqual([]);
    expect(h.simEvents.some((event) => event.type === 'session.updated')).toBe(true);
  });

  it('refuses Voice Live features on other providers (main renders once at start: exit 78)', () => {
    expect(() => renderSessionUpdate({ ...GATEWAY_DEFAULTS, echoCancellation: true }, 'ga', 'openai')).toThrow(ConfigError);
    expect(() => renderSessionUpdate({ ...GATEWAY_DEFAULTS, voiceType: 'azure-standard' }, 'beta', 'azure-preview')).toThrow(/Voice Live features/);
  });
});

