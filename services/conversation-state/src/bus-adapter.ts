import { type Bus, type Clock, earconName } from '@voxbus/shared';
import { fromCallback } from 'xstate';
import type { ConversationEvent } from './machine-types.js';

const OWNER = 'conversation-state';

/**
 * The one way the bus reaches the machine: every fact and command it listens to becomes an
 * event, stamped with its arrival time on CLOCK_MONOTONIC. Invoked by the machine, so its
 * subscriptions live exactly as long as the machine does.
 */
export function busAdapter(bus: Bus, clock: Clock) {
  return fromCallback<ConversationEvent>(({ sendBack }) => {
    const send = (event: ConversationEvent) => sendBack(event);
    const now = () => clock.monotonicUs();
    bus.subscribe(OWNER, 'realtime-gateway.state', {}, ({ payload }) => send({ type: 'GATEWAY', state: payload.state, reason: payload.reason }));
    bus.subscribe(OWNER, 'realtime-gateway.event.vad', {}, ({ payload }) =>
      send(payload.kind === 'speech_started' ? { type: 'SPEECH_STARTED', source: 'server', atUs: now(), spokenMs: 0 } : { type: 'SPEECH_STOPPED', source: 'server', atUs: now() }),
    );
    bus.subscribe(OWNER, 'dsp.event.vad', {}, ({ payload }) => {
      // The dsp reports speech once it has lasted its minimum (speechMs): that counts toward barge-in.
      if (payload.kind === 'speech_started') send({ type: 'SPEECH_STARTED', source: 'local', atUs: now(), spokenMs: payload.speechMs });
      else if (payload.kind === 'speech_stopped') send({ type: 'SPEECH_STOPPED', source: 'local', atUs: now() });
      else send({ type: 'VOICE_ONSET', atUs: now(), spokenMs: payload.speechMs });
    });
    bus.subscribe(OWNER, 'realtime-gateway.event.response', {}, ({ payload }) => {
      const atUs = now();
      if (payload.kind === 'created') send({ type: 'RESPONSE_CREATED', responseId: payload.responseId, atUs });
      else if (payload.kind === 'first_audio') send({ type: 'RESPONSE_AUDIO', responseId: payload.responseId, atUs });
      else send({ type: 'RESPONSE_DONE', responseId: payload.responseId, status: payload.status ?? 'completed', reason: payload.reason, audioMs: payload.audioMs, atUs });
    });
    bus.subscribe(OWNER, 'playback.event.item', {}, ({ payload }) => {
      const earcon = earconName(payload.itemId);
      if (earcon !== undefined) {
        if (payload.kind === 'drained' || payload.kind === 'flushed') send({ type: 'EARCON_DRAINED', name: earcon });
        return;
      }
      const fields = { itemId: payload.itemId, heardMs: payload.heardMs, receivedMs: payload.receivedMs, atUs: payload.timeUs };
      if (payload.kind === 'started') send({ type: 'PLAYBACK_STARTED', itemId: payload.itemId, heardAtUs: payload.timeUs });
      else if (payload.kind === 'position') send({ type: 'PLAYBACK_POSITION', ...fields });
      else if (payload.kind === 'drained') send({ type: 'PLAYBACK_DRAINED', ...fields });
      else send({ type: 'PLAYBACK_FLUSHED', ...fields });
    });
    bus.subscribe(OWNER, 'playback.state', {}, ({ payload }) => send({ type: 'PLAYBACK_STATE', state: payload.state, muted: payload.muted }));
    bus.subscribe(OWNER, 'audio-capture.state', {}, ({ payload }) => send({ type: 'CAPTURE_STATE', state: payload.state }));
    bus.subscribe(OWNER, 'dsp.state', {}, ({ payload }) =>
      send({ type: 'DSP_STATE', converged: payload.echo.converged, muted: payload.muted, vad: payload.stages.vad && payload.state !== 'stopped', running: payload.state === 'running' }),
    );
    // Last Wills: a service that died cannot say what became of what it was doing.
    bus.subscribe(OWNER, 'service.status', { service: '+' }, ({ payload, retained }) => {
      if (retained || payload.status !== 'offline') return;
      if (payload.service === 'playback' || payload.service === 'realtime-gateway') send({ type: 'SERVICE_LOST', service: payload.service });
    });
    bus.subscribe(OWNER, 'tools.req', { name: '+' }, ({ payload }) => send({ type: 'TOOL_REQUESTED', requestId: payload.requestId, name: payload.name }));
    bus.subscribe(OWNER, 'conversation.cmd.mute', {}, ({ payload }) => send({ type: 'MUTE', target: payload.target }));
    bus.subscribe(OWNER, 'conversation.cmd.unmute', {}, ({ payload }) => send({ type: 'UNMUTE', target: payload.target }));
    bus.subscribe(OWNER, 'conversation.cmd.pause', {}, () => send({ type: 'PAUSE' }));
    bus.subscribe(OWNER, 'conversation.cmd.resume', {}, () => send({ type: 'RESUME' }));
    bus.subscribe(OWNER, 'conversation.cmd.ptt-start', {}, () => send({ type: 'PTT_START', atUs: now() }));
    bus.subscribe(OWNER, 'conversation.cmd.ptt-stop', {}, () => send({ type: 'PTT_STOP', atUs: now() }));
    bus.subscribe(OWNER, 'conversation.cmd.end', {}, () => send({ type: 'END' }));
    bus.subscribe(OWNER, 'conversation.cmd.start', {}, () => send({ type: 'START' }));
    return () => bus.unsubscribeAll(OWNER);
  });
}
