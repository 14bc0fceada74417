import type { Bus } from '@voxbus/shared';
import type { ScreenEvent } from './screen-model.js';

const OWNER = 'lcd';

/**
 * Everything the screen shows, from the bus: the retained conversation state and service
 * statuses (delivered at once on subscribe, so a restarted lcd draws the present), the audio
 * devices' states, transcripts, levels and the bus connection itself. Handlers only hand events
 * on: nothing here waits.
 */
export function subscribeScreenEvents(bus: Bus, onEvent: (event: ScreenEvent) => void): () => void {
  bus.subscribe(OWNER, 'conversation.state', {}, ({ payload }) => onEvent({ type: 'conversation', state: payload }));
  bus.subscribe(OWNER, 'realtime-gateway.event.transcript', {}, ({ payload }) => onEvent({ type: 'transcript', message: payload }));
  bus.subscribe(OWNER, 'dsp.event.levels', {}, ({ payload }) => onEvent({ type: 'levels', levels: payload }));
  bus.subscribe(OWNER, 'service.status', { service: '+' }, ({ payload }) =>
    onEvent({ type: 'status', service: payload.service, online: payload.status === 'online' }),
  );
  bus.subscribe(OWNER, 'audio-capture.state', {}, ({ payload }) => onEvent({ type: 'device', device: 'microphone', ok: payload.state !== 'error' }));
  bus.subscribe(OWNER, 'playback.state', {}, ({ payload }) => onEvent({ type: 'device', device: 'speaker', ok: payload.state !== 'error' }));
  const stopWatching = bus.onConnectionChange((connected) => onEvent({ type: 'bus', connected }));
  onEvent({ type: 'bus', connected: bus.connected });
  return () => {
    stopWatching();
    bus.unsubscribeAll(OWNER);
  };
}
