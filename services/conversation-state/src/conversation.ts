import type { Bus, Clock, Logger, MetricsRegistry } from '@voxbus/shared';
import { type Actor, type AnyActorLogic, createActor } from 'xstate';
import { busAdapter } from './bus-adapter.js';
import type { ConversationConfig } from './config.js';
import { conversationMachine } from './conversation-machine.js';
import { conversationEffects } from './effects.js';
import type { Restored } from './machine-types.js';
import type { ConversationPort } from './port.js';
import { type ConversationStatePayload, stateView } from './state-view.js';

export interface ConversationDeps {
  readonly bus: Bus;
  readonly clock: Clock;
  readonly log: Logger;
  readonly metrics: MetricsRegistry;
  readonly port: ConversationPort;
  readonly publishState: (state: ConversationStatePayload) => void;
  /** The machine failed (a bug): the process should exit and be restarted. */
  readonly onFailure: (error: unknown) => void;
}

/**
 * The conversation machine running as an actor: the bus adapter feeding it, the effects on
 * the port, and the retained state published whenever what it shows changes. The root
 * observer has an error handler: an action that throws ends here, said and handled, instead of
 * in an unhandled exception.
 */
export function startConversation(settings: ConversationConfig, restored: Restored | undefined, deps: ConversationDeps): { stop(): void } {
  const { log, clock } = deps;
  const machine = conversationMachine.provide({
    actions: conversationEffects(deps.port, log),
    actors: { bus: busAdapter(deps.bus, clock) },
  });
  const actor: Actor<AnyActorLogic> = createActor(machine, { input: { settings, restored } });
  const transitions = deps.metrics.counter('transitions');
  let shown = '';
  actor.subscribe({
    next: (snapshot) => {
      transitions.inc();
      const view = stateView(snapshot as never);
      const key = JSON.stringify(view);
      if (key === shown) return;
      const previous = shown;
      shown = key;
      log.debug({ state: view.state, phase: view.phase }, previous === '' ? 'conversation state' : 'conversation state changed');
      deps.publishState({ ...view, sinceMs: clock.nowMs() });
    },
    error: (error) => {
      log.fatal({ err: (error as Error).message, stack: (error as Error).stack }, 'the conversation machine failed');
      deps.onFailure(error);
    },
  });
  actor.start();
  return { stop: () => actor.stop() };
}
