import { type Bus, type Logger, RateLimitedLog, type ServiceUnit } from '@voxbus/shared';
import type { RealtimeGateway } from './realtime-gateway.js';

const OWNER = 'realtime-gateway';

/** Connects the bus to the gateway: model-ready audio in, commands and tool answers in. */
export function wireGatewayBus(bus: Bus, gateway: RealtimeGateway, log: Logger): ServiceUnit {
  const { link } = gateway;
  // Any client may send commands: what they cause is logged once per kind per 10 s (counted always).
  const problems = new RateLimitedLog(log);
  bus.subscribe(OWNER, 'audio.input', {}, ({ payload }) => link.inputFrame(payload, gateway.connected));
  bus.subscribe(OWNER, 'realtime-gateway.cmd.cancel', {}, () => link.cancel());
  bus.subscribe(OWNER, 'realtime-gateway.cmd.truncate', {}, ({ payload }) => link.truncate(payload.itemId, payload.audioEndMs));
  bus.subscribe(OWNER, 'realtime-gateway.cmd.say', {}, ({ payload }) => link.say(payload.text));
  bus.subscribe(OWNER, 'realtime-gateway.cmd.system', {}, ({ payload }) => link.system(payload.text));
  bus.subscribe(OWNER, 'realtime-gateway.cmd.clear-input', {}, () => link.clearInput());
  bus.subscribe(OWNER, 'realtime-gateway.cmd.commit', {}, () => link.commit());
  bus.subscribe(OWNER, 'realtime-gateway.cmd.reconnect', {}, () => gateway.reconnect('reconnect command'));
  bus.subscribe(OWNER, 'realtime-gateway.cmd.disconnect', {}, () => void gateway.disconnect('disconnect command'));
  bus.subscribe(OWNER, 'realtime-gateway.cmd.turn-detection', {}, ({ payload }) => gateway.setTurns(payload));
  bus.subscribe(OWNER, 'realtime-gateway.cmd.update-session', {}, ({ payload }) => {
    const refused = gateway.patchSession(payload.session);
    if (refused) problems.warn('patch refused', { err: refused }, 'session patch refused');
  });
  bus.subscribe(OWNER, 'realtime-gateway.cmd.raw', {}, ({ payload }) => {
    const refused = link.raw(payload.event);
    if (refused) problems.warn('raw refused', { type: payload.event.type, err: refused }, 'raw client event refused');
  });
  bus.subscribe(OWNER, 'tools.res', { name: '+' }, ({ payload }) =>
    link.toolAnswer(payload.requestId, payload.ok ? payload.data.output : JSON.stringify({ error: payload.error.message })),
  );
  return { stop: () => bus.unsubscribeAll(OWNER) };
}
