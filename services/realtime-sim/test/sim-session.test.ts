import { describe, expect, it } from 'vitest';
import type { ResponseTiming } from '../src/realtime-session.js';
import { RETAINED_AUDIO_ITEMS } from '../src/conversation.js';
import { BETA_VOICE_LIVE, GA_OPENAI, SimHarness } from './sim-harness.js';

const names = {
  ga: { itemAdded: 'conversation.item.added', audioDelta: 'response.output_audio.delta', transcriptDone: 'response.output_audio_transcript.done' },
  beta: { itemAdded: 'conversation.item.created', audioDelta: 'response.audio.delta', transcriptDone: 'response.audio_transcript.done' },
};

describe.each([
  ['GA (OpenAI)', GA_OPENAI],
  ['beta (Voice Live)', BETA_VOICE_LIVE],
] as const)('realtime sim session, %s dialect', (_, endpoint) => {
  const n = names[endpoint.dialect];

  it('opens with session.created carrying the real defaults (server VAD on, silence 200 ms)', () => {
    const sim = new SimHarness(endpoint);
    const created = sim.events[0] as { type: string; session: Record<string, unknown> };
    expect(created.type).toBe('session.created');
    const turnDetection = endpoint.dialect === 'ga'
      ? (created.session.audio as { input: { turn_detection: unknown } }).input.turn_detection
      : created.session.turn_detection;
    expect(turnDetection).toMatchObject({ type: 'server_vad', threshold: 0.5, prefix_padding_ms: 300, silence_duration_ms: 200 });
    expect(sim.schemaErrors).toEqual([]);
  });

  it('answers a spoken turn: VAD on the input clock, commit, user item, a streamed spoken reply', async () => {
    const sim = new SimHarness(endpoint);
    sim.speak([[500, 0], [800, 0.3], [400, 0]]);
    const started = sim.last('input_audio_buffer.speech_started');
    const stopped = sim.last('input_audio_buffer.speech_stopped');
    expect(started).toMatchObject({ audio_start_ms: 200 }); // speech at 500 ms minus 300 ms prefix padding
    expect(stopped?.audio_end_ms).toBe(1500); // speech ends at 1300 ms, then 200 ms of silence
    expect(stopped?.item_id).toBe(started?.item_id);
    expect(sim.last('input_audio_buffer.committed')?.item_id).toBe(started?.item_id);
    await sim.advance(3000);
    const types = sim.types();
    const order = ['input_audio_buffer.speech_started', 'input_audio_buffer.speech_stopped', 'input_audio_buffer.committed', n.itemAdded,
      'response.created', 'response.output_item.added', 'response.content_part.added', n.audioDelta, n.transcriptDone,
      'response.content_part.done', 'response.output_item.done', 'response.done'];
    let at = -1;
    for (const type of order) {
      const next = types.indexOf(type, at + 1);
      expect(next, `${type} after ${order[order.indexOf(type) - 1]}`).toBeGreaterThan(at);
      at = next;
    }
    const done = sim.last<{ response: { status: string; usage: unknown } }>('response.done');
    expect(done?.response.status).toBe('completed');
    expect(sim.last(n.transcriptDone)?.transcript).toBe('You spoke for 0.8 seconds.'); // the 800 ms of voice, not the silences around it
    expect(sim.schemaErrors).toEqual([]);
  });

  it("reports its own time per response: from the input that ended the turn to its first audio", async () => {
    const timings: ResponseTiming[] = [];
    const sim = new SimHarness(endpoint, { onTiming: (timing) => timings.push(timing) });
    const spokeAtUs = sim.clock.monotonicUs();
    sim.speak([[500, 0], [800, 0.3]]);
    await sim.advance(1000);
    sim.speak([[400, 0]]); // the silence that ends the turn arrives a second later
    await sim.advance(3000);
    // The speech ended in audio that arrived at the start: the second of waiting counts as the sim's.
    expect(timings).toEqual([expect.objectContaining({ trigger: 'server_vad', inputEndUs: spokeAtUs })]);
    expect((timings[0]?.firstAudioUs ?? 0) - spokeAtUs).toBeGreaterThanOrEqual(1_000_000);

    sim.send({ type: 'session.update', session: endpoint.dialect === 'ga' ? { type: 'realtime', audio: { input: { turn_detection: null } } } : { turn_detection: null } });
    sim.speak([[300, 0.3]]);
    await sim.advance(500);
    const committedAtUs = sim.clock.monotonicUs();
    sim.send({ type: 'input_audio_buffer.commit' });
    sim.send({ type: 'response.create' });
    await sim.advance(3000);
    expect(timings[1]).toMatchObject({ trigger: 'commit', inputEndUs: committedAtUs });
    expect(timings[1]?.responseId).toBe(sim.last<{ response: { id: string } }>('response.done')?.response.id);
    expect(sim.schemaErrors).toEqual([]);
  });

  it('streams the reply faster than real time', async () => {
    const sim = new SimHarness(endpoint);
    sim.send({ type: 'response.create' });
    await sim.advance(5000);
    const deltas = sim.events.filter((event) => event.type === n.audioDelta);
    const audioMs = deltas.reduce((sum, event) => sum + Buffer.from(String(event.delta), 'base64').length / 48, 0);
    expect(audioMs).toBeGreaterThan(1000);
    // 4× real time: the whole reply went out in about a quarter of its duration.
    expect(sim.last('response.done')).toBeDefined();
    expect(sim.schemaErrors).toEqual([]);
  });

  it('cancels the running response when the user speaks over it (interrupt_response)', async () => {
    const sim = new SimHarness(endpoint);
    sim.send({ type: 'response.create' });
    await sim.advance(60);
    expect(sim.types()).toContain(n.audioDelta);
    sim.speak([[300, 0.3]]);
    const done = sim.last<{ response: { status: string; status_details: unknown } }>('response.done');
    expect(done?.response).toMatchObject({ status: 'cancelled', status_details: { type: 'cancelled', reason: 'turn_detected' } });
    expect(sim.types().indexOf('response.done')).toBeGreaterThan(sim.types().indexOf('input_audio_buffer.speech_started'));
    expect(sim.schemaErrors).toEqual([]);
  });

  it('cancels on response.cancel, then says there is nothing to cancel', async () => {
    const sim = new SimHarness(endpoint);
    sim.send({ type: 'response.create' });
    await sim.advance(30);
    sim.send({ type: 'response.cancel', event_id: 'cli_1' });
    expect(sim.last('response.done')).toMatchObject({ response: { status: 'cancelled', status_details: { reason: 'client_cancelled' } } });
    sim.send({ type: 'response.cancel', event_id: 'cli_2' });
    expect(sim.errors().at(-1)).toMatchObject({ code: 'response_cancel_not_active', event_id: 'cli_2' });
    expect(sim.schemaErrors).toEqual([]);
  });

  it('refuses a second response while one runs', async () => {
    const sim = new SimHarness(endpoint);
    sim.send({ type: 'response.create' });
    sim.send({ type: 'response.create' });
    expect(sim.errors()[0]).toMatchObject({ code: 'conversation_already_has_active_response' });
    expect(String(sim.errors()[0]?.message)).toMatch(/resp_1/);
  });

  it('truncates assistant audio to what was heard, with the real errors otherwise', async () => {
    const sim = new SimHarness(endpoint);
    sim.send({ type: 'response.create' });
    await sim.advance(5000);
    const itemId = String(sim.last(n.audioDelta)?.item_id);
    const audioMs = sim.events.filter((e) => e.type === n.audioDelta).reduce((sum, e) => sum + Buffer.from(String(e.delta), 'base64').length / 48, 0);
    sim.send({ type: 'conversation.item.truncate', item_id: itemId, content_index: 0, audio_end_ms: audioMs + 500 });
    expect(sim.errors().at(-1)).toMatchObject({ code: 'invalid_value', message: `Audio content of ${audioMs}ms is already shorter than ${audioMs + 500}ms` });
    sim.send({ type: 'conversation.item.truncate', item_id: itemId, content_index: 0, audio_end_ms: -11 });
    expect(sim.errors().at(-1)).toMatchObject({ code: 'integer_below_min_value', param: 'audio_end_ms' });
    sim.send({ type: 'conversation.item.truncate', item_id: itemId, content_index: 0, audio_end_ms: 12.5 });
    expect(sim.errors().at(-1)).toMatchObject({ param: 'audio_end_ms' });
    sim.send({ type: 'conversation.item.truncate', item_id: 'item_nope', content_index: 0, audio_end_ms: 10 });
    expect(sim.errors().at(-1)).toMatchObject({ param: 'item_id' });
    sim.send({ type: 'conversation.item.truncate', item_id: itemId, content_index: 0, audio_end_ms: 700 });
    expect(sim.last('conversation.item.truncated')).toMatchObject({ item_id: itemId, content_index: 0, audio_end_ms: 700 });
    sim.send({ type: 'conversation.item.truncate', item_id: itemId, content_index: 0, audio_end_ms: 701 });
    expect(sim.errors().at(-1)?.message).toBe('Audio content of 700ms is already shorter than 701ms');
    expect(sim.schemaErrors).toEqual([]);
  });

  it(`keeps the audio of the last ${RETAINED_AUDIO_ITEMS} replies for retrieve and the length of every one for truncate (a long conversation stays bounded)`, async () => {
    const sim = new SimHarness(endpoint);
    const items: string[] = [];
    for (let reply = 0; reply < RETAINED_AUDIO_ITEMS + 3; reply++) {
      sim.send({ type: 'response.create' });
      await sim.advance(5000);
      items.push(String(sim.last(n.audioDelta)?.item_id));
    }
    const retrievedAudio = (itemId: string) => {
      sim.send({ type: 'conversation.item.retrieve', item_id: itemId });
      const item = sim.last('conversation.item.retrieved')?.item as { id: string; content: { audio?: string }[] };
      expect(item.id).toBe(itemId);
      return item.content.some((part) => typeof part.audio === 'string' && part.audio.length > 0);
    };
    expect(items.map(retrievedAudio)).toEqual(items.map((_, i) => i >= items.length - RETAINED_AUDIO_ITEMS));
    // The oldest reply still truncates, and still refuses a cut past its end.
    sim.send({ type: 'conversation.item.truncate', item_id: items[0], content_index: 0, audio_end_ms: 400 });
    expect(sim.last('conversation.item.truncated')).toMatchObject({ item_id: items[0], audio_end_ms: 400 });
    sim.send({ type: 'conversation.item.truncate', item_id: items[0], content_index: 0, audio_end_ms: 401 });
    expect(sim.errors().at(-1)?.message).toBe('Audio content of 400ms is already shorter than 401ms');
    expect(sim.schemaErrors).toEqual([]);
  });

  it('refuses to truncate a user item', () => {
    const sim = new SimHarness(endpoint);
    sim.speak([[300, 0.3], [300, 0]]);
    const userItem = String(sim.last('input_audio_buffer.committed')?.item_id);
    sim.send({ type: 'conversation.item.truncate', item_id: userItem, content_index: 0, audio_end_ms: 0 });
    expect(sim.errors().at(-1)).toMatchObject({ code: 'unsupported_content_type', message: 'Only model output audio messages can be truncated' });
  });

  it('rejects bad input with the real error and the client event_id, and keeps going', () => {
    const sim = new SimHarness(endpoint);
    sim.send({ type: 'input_audio_buffer.commit', event_id: 'cli_7' });
    expect(sim.errors().at(-1)).toMatchObject({ code: 'input_audio_buffer_commit_empty', event_id: 'cli_7' });
    expect(String(sim.errors().at(-1)?.message)).toMatch(/buffer only has 0.00ms of audio/);
    sim.send({ type: 'input_audio_buffer.append', audio: '!!not base64!!' });
    expect(sim.errors().at(-1)).toMatchObject({ code: 'invalid_value', param: 'audio' });
    sim.send({ type: 'response.explode', event_id: 'cli_8' });
    expect(sim.errors().at(-1)).toMatchObject({ code: 'invalid_value', param: 'type', event_id: 'cli_8' });
    sim.session.receive('{"type": "session.update", ');
    expect(sim.errors().at(-1)).toMatchObject({ type: 'invalid_request_error' });
    sim.send({ type: 'input_audio_buffer.append', audio: Buffer.alloc(4800).toString('base64') });
    sim.send({ type: 'input_audio_buffer.commit' });
    expect(sim.last('input_audio_buffer.committed')).toBeDefined();
    expect(sim.schemaErrors).toEqual([]);
  });

  it('locks the voice once the model has spoken', async () => {
    const sim = new SimHarness(endpoint);
    const update = endpoint.dialect === 'ga'
      ? { type: 'realtime', audio: { output: { voice: 'marin' } } }
      : { voice: { type: 'openai', name: 'marin' } };
    sim.send({ type: 'session.update', session: update });
    expect(sim.last('session.updated')).toBeDefined();
    sim.send({ type: 'response.create' });
    await sim.advance(3000);
    const again = endpoint.dialect === 'ga' ? { type: 'realtime', audio: { output: { voice: 'cedar' } } } : { voice: { type: 'openai', name: 'cedar' } };
    sim.send({ type: 'session.update', session: again, event_id: 'cli_v' });
    expect(sim.errors().at(-1)).toMatchObject({ code: 'cannot_update_voice', event_id: 'cli_v' });
  });

  it('expires at the session cap: session_expired, then close 1001', async () => {
    const sim = new SimHarness(endpoint, { sessionMaxMs: 60_000 });
    await sim.advance(60_000);
    expect(sim.errors().at(-1)).toMatchObject({ code: 'session_expired', message: 'Your session hit the maximum duration of 1 minutes.' });
    expect(sim.closedWith?.code).toBe(1001);
  });
});

describe('session.update dialect rules', () => {
  it('GA requires session.type and rejects beta field names', () => {
    const sim = new SimHarness(GA_OPENAI);
    sim.send({ type: 'session.update', session: { instructions: 'hi' } });
    expect(sim.errors().at(-1)).toMatchObject({ code: 'missing_required_parameter', message: "Missing required parameter: 'session.type'.", param: 'session.type' });
    sim.send({ type: 'session.update', session: { type: 'realtime', turn_detection: null } });
    expect(sim.errors().at(-1)).toMatchObject({ code: 'unknown_parameter', message: "Unknown parameter: 'session.turn_detection'." });
    sim.send({ type: 'session.update', session: { type: 'realtime', audio: { input: { turn_detection: { type: 'server_vad', silence_duration_ms: 500 } } } } });
    const updated = sim.last<{ session: { audio: { input: { turn_detection: Record<string, unknown> } } } }>('session.updated');
    expect(updated?.session.audio.input.turn_detection).toMatchObject({ silence_duration_ms: 500, threshold: 0.5 });
    expect(sim.schemaErrors).toEqual([]);
  });

  it('beta rejects GA field names and audio-only modalities; Voice Live keeps its own fields', () => {
    const sim = new SimHarness(BETA_VOICE_LIVE);
    sim.send({ type: 'session.update', session: { type: 'realtime' } });
    expect(sim.errors().at(-1)).toMatchObject({ code: 'unknown_parameter', message: "Unknown parameter: 'session.type'." });
    sim.send({ type: 'session.update', session: { modalities: ['audio'] } });
    expect(sim.errors().at(-1)).toMatchObject({ code: 'invalid_value', param: 'session.modalities' });
    sim.send({
      type: 'session.update',
      session: {
        turn_detection: { type: 'azure_semantic_vad', auto_truncate: true },
        input_audio_echo_cancellation: { type: 'server_echo_cancellation' },
        input_audio_noise_reduction: { type: 'azure_deep_noise_suppression' },
      },
    });
    const updated = sim.last<{ session: Record<string, unknown> }>('session.updated');
    expect(updated?.session).toMatchObject({
      turn_detection: { type: 'azure_semantic_vad', auto_truncate: true },
      input_audio_echo_cancellation: { type: 'server_echo_cancellation' },
    });
    expect(sim.schemaErrors).toEqual([]);
  });

  it("chains the assistant's item in conversation.item.done as conversation.item.added did", async () => {
    const sim = new SimHarness(GA_OPENAI);
    sim.send({ type: 'conversation.item.create', item: { type: 'message', role: 'user', content: [{ type: 'input_text', text: 'hello there' }] } });
    const userItem = sim.last<{ item: { id: string } }>('conversation.item.added')?.item.id;
    sim.send({ type: 'response.create' });
    await sim.advance(3000);
    const added = sim.last<{ previous_item_id: unknown; item: { id: string; role: string } }>('conversation.item.added');
    const done = sim.last<{ previous_item_id: unknown; item: { id: string } }>('conversation.item.done');
    expect(added?.item.role).toBe('assistant');
    expect(added?.previous_item_id).toBe(userItem);
    expect(done).toMatchObject({ item: { id: added?.item.id }, previous_item_id: userItem });
  });

  it('counts audio appended while turn detection is off in the VAD offsets, which count all input audio', () => {
    const sim = new SimHarness(GA_OPENAI);
    sim.send({ type: 'session.update', session: { type: 'realtime', audio: { input: { turn_detection: null } } } });
    sim.speak([[1000, 0.3]]); // heard by nobody: turns are manual
    sim.send({ type: 'input_audio_buffer.clear' });
    sim.send({ type: 'session.update', session: { type: 'realtime', audio: { input: { turn_detection: { type: 'server_vad', prefix_padding_ms: 300, silence_duration_ms: 200 } } } } });
    sim.speak([[500, 0], [800, 0.3], [400, 0]]);
    // Speech begins 1000 + 500 ms into the session's input audio, less 300 ms of prefix padding.
    expect(sim.last('input_audio_buffer.speech_started')).toMatchObject({ audio_start_ms: 1200 });
    expect(sim.last('input_audio_buffer.speech_stopped')?.audio_end_ms).toBe(2500);
  });

  it('rejects the level and pause settings with semantic_vad, and eagerness with server_vad, as unknown parameters', () => {
    const sim = new SimHarness(GA_OPENAI);
    const update = (turnDetection: Record<string, unknown>) =>
      sim.send({ type: 'session.update', session: { type: 'realtime', audio: { input: { turn_detection: turnDetection } } } });
    update({ type: 'semantic_vad', eagerness: 'low', silence_duration_ms: 500 });
    expect(sim.errors().at(-1)).toMatchObject({ code: 'unknown_parameter', param: 'session.audio.input.turn_detection.silence_duration_ms' });
    update({ type: 'server_vad', eagerness: 'high' });
    expect(sim.errors().at(-1)).toMatchObject({ code: 'unknown_parameter', param: 'session.audio.input.turn_detection.eagerness' });
    const errorsBefore = sim.errors().length;
    update({ type: 'semantic_vad', eagerness: 'high', create_response: true });
    expect(sim.errors()).toHaveLength(errorsBefore);
  });

  it('a typed user message gets a reply about it', async () => {
    const sim = new SimHarness(GA_OPENAI);
    sim.send({ type: 'conversation.item.create', item: { type: 'message', role: 'user', content: [{ type: 'input_text', text: 'hello there' }] } });
    expect(sim.last('conversation.item.added')).toBeDefined();
    sim.send({ type: 'response.create' });
    await sim.advance(3000);
    expect(sim.last('response.output_audio_transcript.done')?.transcript).toBe('You wrote hello there.');
    expect(sim.schemaErrors).toEqual([]);
  });
});
