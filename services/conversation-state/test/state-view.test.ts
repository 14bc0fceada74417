import { describe, expect, it } from 'vitest';
import { CONVERSATION_STATES } from '@voxbus/shared';
import { conversationMachine } from '../src/conversation-machine.js';
import { contractState, shownAs } from '../src/state-view.js';

interface StateNode {
  readonly key: string;
  readonly states: Record<string, StateNode>;
}

describe('the conversation machine against the contract', () => {
  it('shows every state it can be in as a state of the contract', () => {
    // Top-level states, and the states of `active` (where the conversation runs).
    const root = conversationMachine.root as unknown as StateNode;
    const names = [...Object.keys(root.states), ...Object.keys(root.states.active?.states ?? {})].filter((name) => name !== 'active');
    expect(names.length).toBeGreaterThan(8);
    for (const name of names) expect(CONVERSATION_STATES, `machine state ${name} (shown as ${shownAs(name)})`).toContain(shownAs(name));
  });

  it('says which state is unknown instead of publishing it', () => {
    expect(() => contractState('thinkingHard')).toThrow(/"thinkingHard" is not a state of the contract/);
    expect(contractState('listening')).toBe('listening');
  });
});
