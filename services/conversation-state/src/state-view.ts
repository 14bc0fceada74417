import type { CONVERSATION_STATES, Payload } from '@voxbus/shared';
import type { SnapshotFrom } from 'xstate';
import type { ConversationMachine } from './conversation-machine.js';
import { effectiveMode } from './machine-types.js';

export type ConversationStatePayload = Payload<'conversation.state'>;
type StateName = (typeof CONVERSATION_STATES)[number];

/** Machine states that show as another state on the bus (steps of a state, not states of their own). */
const SHOWN_AS: Readonly<Record<string, StateName>> = {
  starting: 'listening',
  releasing: 'waiting',
  tail: 'assistantSpeaking',
};

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
  const shown = SHOWN_AS[state];
  if (shown !== undefined) {
    phase = state;
    state = shown;
  }
  const { context } = snapshot;
  return {
    state: state as StateName,
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
