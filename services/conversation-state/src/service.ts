import { type Bus, defineService, packageVersion } from '@voxbus/shared';
import { busPort } from './bus-port.js';
import { CONVERSATION_DEFAULTS, ConversationConfigSchema } from './config.js';
import { startConversation } from './conversation.js';
import type { Restored } from './machine-types.js';

/** The conversation-state service's definition: run alone by main.ts, or with others in one process (all-in-one). */
export const service = defineService({
  name: 'conversation-state',
  version: packageVersion(import.meta.url),
  configSchema: ConversationConfigSchema,
  configDefaults: CONVERSATION_DEFAULTS,
  async start({ config, log, bus, clock, metrics }) {
    const restored = await lastState(bus, config.restoreWaitMs);
    if (restored) log.info(restored, 'taking over from the last run');
    const conversation = startConversation(config, restored, {
      bus,
      clock,
      log,
      metrics,
      port: busPort(bus, clock),
      publishState: (state) => bus.publish('conversation.state', {}, state),
      onFailure: () => process.kill(process.pid, 'SIGTERM'),
    });
    return { stop: () => conversation.stop() };
  },
});

/** The state this service left retained when it last ran, if the broker still has it. */
function lastState(bus: Bus, waitMs: number): Promise<Restored | undefined> {
  return new Promise((resolve) => {
    const owner = 'conversation-state:restore';
    const done = (restored: Restored | undefined) => {
      clearTimeout(timer);
      bus.unsubscribeAll(owner);
      resolve(restored);
    };
    const timer = setTimeout(() => done(undefined), waitMs);
    bus.subscribe(owner, 'conversation.state', {}, ({ payload, retained }) => {
      if (!retained) return;
      done({ state: payload.state, userMuted: payload.muted.user, assistantMuted: payload.muted.assistant, turn: payload.turn });
    });
  });
}
