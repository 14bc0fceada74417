import { CONVERSATION_STATES, type ConversationStateName, type Payload } from '@voxbus/shared';
import type { SnapshotFrom } from 'xstate';
import type { ConversationMachine } from './conversation-machine.js';
import { effectiveMode } from './machine-types.js';

export type ConversationStatePayload = Payload<'conversation.state'>;

/** Machine states that show as another state on the bus (steps of a state, not states of their own). */
const SHOWN_AS: Readonly<Record<string, ConversationStateName>> = {
  starting: 'listening',
  releasing: 'waiting',
  tail: 'assistantSpeaking',
};

/** The state a machine state shows as on the bus (a step shows as the state it is a step of). */
export function shownAs(state: string): string {
  return SHOWN_AS[state] ?? state;
}

/** A machine state as the contract names it; a machine state the contract lacks is a bug, said at once. */
export function contractState(state: string): ConversationStateName {
  const known = CONVERSATION_STATES.find((name) => name === state);
  if (known === undefined) throw new Error(`conversation machine state "${state}" is not a state of the contract (${CONVERSATION_STATES.join(', ')})`);
  return known;
}

/** The retained state's payload for a snapshot (without its time). */
export function stateView(snapshot: SnapshotFrom<ConversationMachine>): Omit<ConversationStatePayload, 'sinceMs'> {
  const path = snapshot.value;
  let state: string;
  let phase: string;
  if (typeof path === 'string') {
    state = path;
    phase = '';
  } else {
    const inner = (path as { active: string | Record<string, string> }).active;
    state = typeof inner === 'string' ? inner : (Object.keys(inner)[0] as string);
    // The phase is the step within the state; steps of a step (the barge-in's guard) stay inside it.
    const step = typeof inner === 'string' ? '' : (Object.values(inner)[0] as string | Record<string, unknown>);
    phase = typeof step === 'string' ? step : (Object.keys(step)[0] as string);
  }
  if (SHOWN_AS[state] !== undefined) phase = state;
  state = shownAs(state);
  const { context } = snapshot;
  return {
    state: contractState(state),
    phase,
    mode: effectiveMode(context),
    vad: context.settings.vad,
    micOpen: context.micAllowed && !context.userMuted,
    muted: { user: context.userMuted, assistant: context.assistantMuted },
    echoConverged: context.echoConverged,
    turn: context.turn,
    lastError: context.lastError,
  };
}
