import type { Logger } from '@voxbus/shared';
import type { conversationMachine } from './conversation-machine.js';
import { type ConversationContext, CUT_WAIT_MS, effectiveMode, FINISH_TOOL, heardAtMs, manualTurns, pauseForMs, type TurnOutcome } from './machine-types.js';
import type { ConversationPort } from './port.js';

type ActionImplementations = NonNullable<Parameters<typeof conversationMachine.provide>[0]['actions']>;

const msBetween = (fromUs: number | undefined, toUs: number | undefined) =>
  fromUs === undefined || toUs === undefined || toUs < fromUs ? null : Math.round((toUs - fromUs) / 1000);

/** The machine's named effects, on the port. */
export function conversationEffects(port: ConversationPort, log: Logger): ActionImplementations {
  return {
    applyMic: ({ context }) => port.inputMuted(!(context.micAllowed && !context.userMuted)),
    applyCapture: ({ context }) => port.micMuted(context.userMuted),
    // A restarted dsp or audio-capture comes up unmuted: tell it again what it should be.
    reconcileInput: ({ context, event }) => {
      const shut = !(context.micAllowed && !context.userMuted);
      if (event.type === 'DSP_STATE' && event.muted !== shut) port.inputMuted(shut, true);
    },
    reconcileCapture: ({ context, event }) => {
      if (event.type === 'CAPTURE_STATE' && (event.state === 'muted') !== context.userMuted) port.micMuted(context.userMuted, true);
    },
    applySpeaker: ({ context }) => port.speakerMuted(context.assistantMuted),
    reconcileSpeaker: ({ context, event }) => {
      if (event.type === 'PLAYBACK_STATE' && event.muted !== context.assistantMuted) port.speakerMuted(context.assistantMuted, true);
    },
    flushPlayback: () => port.flushPlayback(),
    pausePlayback: ({ context }) => {
      if (context.settings.bargeInPause) port.pausePlayback(pauseForMs(context.settings.bargeInMinMs));
    },
    resumePlayback: () => port.resumePlayback(),
    cancelResponse: () => port.cancelResponse(),
    truncate: (_, params) => port.truncate(params.itemId, params.audioEndMs),
    truncateEstimated: ({ context }) => {
      // The deadline fired CUT_WAIT_MS after the cut: estimate where the item stood then.
      const heardMs = context.cut === null ? null : heardAtMs(context.cut, port.nowUs() - CUT_WAIT_MS * 1000);
      if (context.cut !== null && heardMs !== null) port.truncate(context.cut.position.itemId, heardMs);
    },
    commitInput: () => port.commitInput(),
    clearUnusedInput: ({ context }) => {
      if (manualTurns(context)) port.clearInput();
    },
    playEarcon: ({ context }, params) => {
      if (context.settings.earcons[params.name]) port.earcon(params.name);
    },
    // conversation-state decides barge-in, so the model never cancels a reply on its own.
    configureTurns: ({ context }) => port.turnDetection(manualTurns(context) ? 'manual' : 'server', false),
    disconnectGateway: () => port.disconnect(),
    reconnectGateway: () => port.reconnect(),
    answerFinishTool: (_, params) => port.answerTool(params.requestId, FINISH_TOOL, JSON.stringify({ ok: true, note: 'the conversation ends after your reply' })),
    reportTurn: ({ context }, params) => {
      const report = turnReport(context, params.outcome, port.nowUs());
      port.turnReport(report);
      log.info(report, `turn ${report.turn}: ${report.outcome}`);
    },
  };
}

export function turnReport(context: ConversationContext, outcome: TurnOutcome, nowUs: number) {
  const { timing } = context;
  return {
    turn: context.turn,
    outcome,
    mode: effectiveMode(context),
    vad: context.settings.vad,
    responseId: context.responseId,
    latencyMs: {
      speechStoppedToResponse: msBetween(timing.speechStoppedUs, timing.responseCreatedUs),
      speechStoppedToFirstAudio: msBetween(timing.speechStoppedUs, timing.firstAudioUs),
      speechStoppedToHeard: msBetween(timing.speechStoppedUs, timing.heardUs),
    },
    heardMs: outcome === 'interrupted' ? heardAtMs(context, nowUs) : (context.position?.heardMs ?? null),
    receivedMs: context.position?.receivedMs ?? null,
    bargeInMs: outcome === 'interrupted' ? msBetween(timing.bargeInUs, nowUs) : null,
  };
}
