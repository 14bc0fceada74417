import type { Bus, Clock } from '@voxbus/shared';
import type { ConversationPort } from './port.js';

/** The conversation's commands, as bus messages to the services that carry them out. */
export function busPort(bus: Bus, clock: Clock): ConversationPort {
  // Each is said once per change: the machine applies them on every transition, and a
  // restarted service is told again from its retained state (resend), not by repetition.
  let input: boolean | undefined;
  let mic: boolean | undefined;
  let speaker: boolean | undefined;
  // A pause asked for and not yet ended by a resume or a flush (playback ends it on a flush).
  let pauseHeld = false;
  // A resume waits for the end of the machine's step (a microtask: the actor runs a step
  // synchronously), so a flush in the same step can take its place (port.ts).
  let resumeDue = false;
  return {
    inputMuted: (muted, resend = false) => {
      if (muted === input && !resend) return;
      input = muted;
      bus.publish(muted ? 'dsp.cmd.mute' : 'dsp.cmd.unmute', {}, {});
    },
    micMuted: (muted, resend = false) => {
      if (muted === mic && !resend) return;
      mic = muted;
      bus.publish(muted ? 'audio-capture.cmd.mute' : 'audio-capture.cmd.unmute', {}, {});
    },
    speakerMuted: (muted, resend = false) => {
      if (muted === speaker && !resend) return;
      speaker = muted;
      bus.publish(muted ? 'playback.cmd.mute' : 'playback.cmd.unmute', {}, {});
    },
    flushPlayback: () => {
      pauseHeld = false;
      resumeDue = false;
      bus.publish('playback.cmd.flush', {}, {});
    },
    pausePlayback: (forMs) => {
      pauseHeld = true;
      resumeDue = false;
      bus.publish('playback.cmd.pause', {}, { forMs });
    },
    resumePlayback: () => {
      if (!pauseHeld || resumeDue) return;
      resumeDue = true;
      queueMicrotask(() => {
        if (!resumeDue) return;
        resumeDue = false;
        pauseHeld = false;
        bus.publish('playback.cmd.resume', {}, {});
      });
    },
    cancelResponse: () => bus.publish('realtime-gateway.cmd.cancel', {}, {}),
    truncate: (itemId, audioEndMs) => bus.publish('realtime-gateway.cmd.truncate', {}, { itemId, audioEndMs }),
    commitInput: () => bus.publish('realtime-gateway.cmd.commit', {}, {}),
    clearInput: () => bus.publish('realtime-gateway.cmd.clear-input', {}, {}),
    earcon: (name) => bus.publish('playback.cmd.earcon', {}, { name }),
    turnDetection: (mode, interruptResponse) => bus.publish('realtime-gateway.cmd.turn-detection', {}, { mode, interruptResponse }),
    disconnect: () => bus.publish('realtime-gateway.cmd.disconnect', {}, {}),
    reconnect: () => bus.publish('realtime-gateway.cmd.reconnect', {}, {}),
    answerTool: (requestId, name, output) => bus.publish('tools.res', { name }, { requestId, ok: true, data: { output } }),
    turnReport: (report) => bus.publish('conversation.event.turn', {}, report),
    nowUs: () => clock.monotonicUs(),
  };
}
