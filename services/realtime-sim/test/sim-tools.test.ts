import { describe, expect, it } from 'vitest';
import { BETA_VOICE_LIVE, GA_OPENAI, SimHarness } from './sim-harness.js';

const tool = (name: string) => ({
  type: 'function',
  name,
  description: 'test tool',
  parameters: { type: 'object', properties: { text: { type: 'string' } }, required: ['text'], additionalProperties: false },
});

describe.each([
  ['GA', GA_OPENAI, { type: 'realtime', tools: [tool('get_time'), tool('on_spoken_turn')] }, 'response.output_audio_transcript.done'],
  ['beta', BETA_VOICE_LIVE, { tools: [tool('get_time'), tool('on_spoken_turn')] }, 'response.audio_transcript.done'],
] as const)('function calls in the %s dialect', (_, endpoint, toolsUpdate, transcriptDone) => {
  it('calls a tool the user names, waits for its output, then speaks about it', async () => {
    const sim = new SimHarness(endpoint);
    sim.send({ type: 'session.update', session: toolsUpdate });
    sim.send({ type: 'conversation.item.create', item: { type: 'message', role: 'user', content: [{ type: 'input_text', text: 'please get_time' }] } });
    sim.send({ type: 'response.create' });
    const done = sim.last<{ call_id: string; name: string; arguments: string }>('response.function_call_arguments.done');
    expect(done).toMatchObject({ name: 'get_time', arguments: '{"text":"please get_time"}' });
    expect(sim.last('response.done')).toMatchObject({ response: { status: 'completed', output: [{ type: 'function_call', call_id: done?.call_id, name: 'get_time' }] } });
    const deltas = sim.events.filter((event) => event.type === 'response.function_call_arguments.delta').map((event) => event.delta).join('');
    expect(deltas).toBe(done?.arguments);

    // The output alone does not make the model speak; response.create does.
    const beforeOutput = sim.events.length;
    sim.send({ type: 'conversation.item.create', item: { type: 'function_call_output', call_id: done?.call_id, output: '{"time":"12:00"}' } });
    expect(sim.types(beforeOutput).filter((type) => type.startsWith('response.'))).toEqual([]);
    sim.send({ type: 'response.create' });
    await sim.advance(5000);
    expect(sim.last(transcriptDone)?.transcript).toBe('The tool answered: {"time":"12:00"}');
    expect(sim.schemaErrors).toEqual([]);
  });

  it('calls the configured tool on a spoken turn, and refuses an output for an unknown call', () => {
    const sim = new SimHarness(endpoint);
    sim.send({ type: 'session.update', session: toolsUpdate });
    sim.speak([[300, 0.3], [300, 0]]);
    expect(sim.last('response.function_call_arguments.done')).toMatchObject({ name: 'on_spoken_turn', arguments: '{"text":"300 ms of speech"}' });
    sim.send({ type: 'conversation.item.create', event_id: 'cli_x', item: { type: 'function_call_output', call_id: 'call_unknown', output: 'x' } });
    expect(sim.errors().at(-1)).toMatchObject({ param: 'item.call_id', event_id: 'cli_x' });
    expect(sim.schemaErrors).toEqual([]);
  });

  it("fills the tool's declared parameters, as a model would: every required one, of its type, nothing else", () => {
    const sim = new SimHarness(endpoint);
    const weather = {
      type: 'function',
      name: 'get_weather',
      description: 'the weather in a city',
      parameters: {
        type: 'object',
        properties: { city: { type: 'string' }, units: { type: 'string', enum: ['celsius', 'fahrenheit'] }, days: { type: 'integer' }, detailed: { type: 'boolean' } },
        required: ['city', 'units', 'days'],
        additionalProperties: false,
      },
    };
    const bare = { type: 'function', name: 'finish', description: 'no arguments', parameters: { type: 'object', properties: {}, additionalProperties: false } };
    sim.send({ type: 'session.update', session: { ...toolsUpdate, tools: [weather, bare] } });
    sim.send({ type: 'conversation.item.create', item: { type: 'message', role: 'user', content: [{ type: 'input_text', text: 'get_weather in Paris' }] } });
    sim.send({ type: 'response.create' });
    expect(JSON.parse(String(sim.last('response.function_call_arguments.done')?.arguments))).toEqual({ city: 'get_weather in Paris', units: 'celsius', days: 0 });
    sim.send({ type: 'conversation.item.create', item: { type: 'message', role: 'user', content: [{ type: 'input_text', text: 'finish' }] } });
    sim.send({ type: 'response.create', response: { tool_choice: { type: 'function', name: 'finish' } } });
    expect(sim.last('response.function_call_arguments.done')).toMatchObject({ name: 'finish', arguments: '{}' });
    expect(sim.schemaErrors).toEqual([]);
  });

  it('does not call tools when tool_choice is none', async () => {
    const sim = new SimHarness(endpoint);
    sim.send({ type: 'session.update', session: toolsUpdate });
    sim.send({ type: 'conversation.item.create', item: { type: 'message', role: 'user', content: [{ type: 'input_text', text: 'get_time' }] } });
    sim.send({ type: 'response.create', response: { tool_choice: 'none' } });
    await sim.advance(3000);
    expect(sim.types()).not.toContain('response.function_call_arguments.done');
    expect(sim.last('response.done')).toMatchObject({ response: { status: 'completed' } });
  });
});
