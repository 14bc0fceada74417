import { describe, expect, it } from 'vitest';
import { EMPTY_SCREEN, followsService, MAX_OTHER_SERVICES, reduceScreen, type ScreenEvent, type ScreenModel } from '../src/screen-model.js';
import { screenView } from '../src/screen-view.js';
import { conversation, healthy, levels, transcript } from './scenarios.js';

const run = (...events: ScreenEvent[]): ScreenModel => events.reduce(reduceScreen, EMPTY_SCREEN);

describe('the screen model', () => {
  it('appends streaming deltas of one item, and the final replaces them', () => {
    let model = run(...healthy, conversation('assistantSpeaking'), transcript('assistant', 'Hello', 'a1', 'delta'), transcript('assistant', ' there', 'a1', 'delta'));
    expect(model.assistant).toMatchObject({ itemId: 'a1', text: 'Hello there', final: false });
    model = reduceScreen(model, transcript('assistant', 'Hello there, friend.', 'a1', 'final'));
    expect(model.assistant).toMatchObject({ text: 'Hello there, friend.', final: true });
    // A delta arriving after its final (reordered) does not add the text twice.
    expect(reduceScreen(model, transcript('assistant', ' there', 'a1', 'delta'))).toBe(model);
  });

  it("keeps the reply when the person's transcription of the same turn arrives after it, and clears both at the next turn", () => {
    let model = run(...healthy, conversation('assistantSpeaking', { turn: 4 }), transcript('assistant', 'It is sunny.', 'a4'), transcript('user', 'Weather?', 'u4'));
    expect([model.user?.text, model.assistant?.text]).toEqual(['Weather?', 'It is sunny.']);
    model = run(...healthy, conversation('assistantSpeaking', { turn: 4 }), transcript('assistant', 'It is sunny.', 'a4'), transcript('user', 'Weather?', 'u4'));
    model = reduceScreen(reduceScreen(model, conversation('userSpeaking', { turn: 5 })), transcript('user', 'And tomorrow?', 'u5'));
    expect([model.user?.text, model.assistant]).toEqual(['And tomorrow?', null]);
  });

  it('drops the levels of a dsp that went offline, so the meter does not freeze mid-word', () => {
    const model = run(...healthy, levels(-20, -30, true));
    expect(screenView(model).meter.input).toEqual({ rmsDbfs: -20, peakDbfs: -11 });
    const after = reduceScreen(model, { type: 'status', service: 'dsp', online: false });
    expect(screenView(after).meter).toEqual({ input: null, output: null, voice: false });
    expect(screenView(after).health).toEqual({ text: 'offline: dsp', warning: true });
  });

  it('follows its own services and a few others, whatever floods the status topics, and changes nothing for a repeated status', () => {
    let model = run(...healthy);
    const followed = Object.keys(model.services).length;
    // A repeated status is the same model: nothing to copy or redraw.
    expect(reduceScreen(model, { type: 'status', service: 'dsp', online: true })).toBe(model);
    for (let n = 0; n < 20_000; n++) model = reduceScreen(model, { type: 'status', service: `made-up-${n}`, online: n % 2 === 0 });
    expect(Object.keys(model.services).length).toBe(followed + MAX_OTHER_SERVICES);
    expect(followsService(model, 'made-up-20000')).toBe(false);
    // The project's own are always followed, and the others already followed keep changing.
    expect(followsService(model, 'playback')).toBe(true);
    model = reduceScreen(model, { type: 'status', service: 'made-up-1', online: true });
    expect(model.services['made-up-1']).toBe(true);
    expect(screenView(model).health.text).toBe(`offline: ${['made-up-3', 'made-up-5', 'made-up-7'].join(', ')}`);
  });

  it('shows a state left retained by a conversation-state that has died as the assistant being offline', () => {
    const model = run(...healthy, conversation('listening'), { type: 'status', service: 'conversation-state', online: false });
    expect(screenView(model).status).toMatchObject({ label: 'Assistant offline', tone: 'warning' });
  });

  it('says when the bus itself is gone, whatever the last state was', () => {
    const model = run(...healthy, conversation('assistantSpeaking'), { type: 'bus', connected: false });
    expect(screenView(model).status.label).toBe('No connection');
    expect(screenView(model).health).toEqual({ text: 'bus offline', warning: true });
  });

  it('tags mutes and names the mode; an error shows its message', () => {
    const muted = screenView(run(...healthy, conversation('assistantSpeaking', { muted: { user: true, assistant: true }, mode: 'half-duplex' })));
    expect(muted.status).toEqual({ label: 'Speaking', tone: 'active', detail: 'turn 3 · half-duplex', tags: ['mic off', 'speaker off'] });
    const failed = screenView(run(...healthy, conversation('error', { lastError: { code: 'rate_limited', message: 'Too many requests' } })));
    expect(failed.status).toMatchObject({ label: 'Error', detail: 'rate_limited', tone: 'warning' });
    expect(failed.transcript.notice).toBe('Too many requests');
  });

  it('hands the renderer only the end of a very long reply (the part that can be on screen)', () => {
    const words = Array.from({ length: 2000 }, (_, i) => transcript('assistant', `word${i} `, 'a1', 'delta'));
    const view = screenView(run(...healthy, conversation('assistantSpeaking'), ...words));
    expect(view.transcript.assistant?.length).toBe(1000);
    expect(view.transcript.assistant?.endsWith('word1999')).toBe(true);
  });
});
