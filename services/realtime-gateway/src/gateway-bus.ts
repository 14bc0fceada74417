import type { Bus, Logger, ServiceUnit } from '@voxbus/shared';
import type { RealtimeLink } from './realtime-link.js';
import type { TurnMode } from './session-render.js';

const OWNER = 'realtime-gateway';

export interface GatewayControl {
  readonly link: RealtimeLink;
  readonly connected: () => boolean;
  readonly reconnect: () => void;
  readonly disconnect: () => void;
  /** How turns are taken (kept, and re-applied after every reconnect). */
  readonly setTurns: (turns: TurnMode) => void;
  /** Merges a session patch (kept, and re-applied after every reconnect). */
  readonly patchSession: (patch: Record<string, unknown>) => void;
  readonly log: Logger;
}

/** Connects the bus to the link: model-ready audio in, commands and tool answers in. */
export function wireGatewayBus(bus: Bus, control: GatewayControl): ServiceUnit {
  const { link } = control;
  bus.subscribe(OWNER, 'audio.input', {}, ({ payload }) => link.inputFrame(payload, control.connected()));
  bus.subscribe(OWNER, 'gateway.cmd.cancel', {}, () => link.cancel());
  bus.subscribe(OWNER, 'gateway.cmd.truncate', {}, ({ payload }) => link.truncate(payload.itemId, payload.audioEndMs));
  bus.subscribe(OWNER, 'gateway.cmd.say', {}, ({ payload }) => link.say(payload.text));
  bus.subscribe(OWNER, 'gateway.cmd.system', {}, ({ payload }) => link.system(payload.text));
  bus.subscribe(OWNER, 'gateway.cmd.clear-input', {}, () => link.clearInput());
  bus.subscribe(OWNER, 'gateway.cmd.commit', {}, () => link.commit());
  bus.subscribe(OWNER, 'gateway.cmd.reconnect', {}, () => control.reconnect());
  bus.subscribe(OWNER, 'gateway.cmd.disconnect', {}, () => control.disconnect());
  bus.subscribe(OWNER, 'gateway.cmd.turn-detection', {}, ({ payload }) => {
    control.setTurns(payload);
    link.updateSession();
  });
  bus.subscribe(OWNER, 'gateway.cmd.update-session', {}, ({ payload }) => {
    control.patchSession(payload.session);
    link.updateSession();
  });
  bus.subscribe(OWNER, 'gateway.cmd.raw', {}, ({ payload }) => {
    const refused = link.raw(payload.event);
    if (refused) control.log.warn({ type: payload.event.type, err: refused }, 'raw client event refused');
  });
  bus.subscribe(OWNER, 'tools.res', { name: '+' }, ({ payload }) =>
    link.toolAnswer(payload.requestId, payload.ok ? payload.data.output : JSON.stringify({ error: payload.error.message })),
  );
  return { stop: () => bus.unsubscribeAll(OWNER) };
}
