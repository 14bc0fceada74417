import type { Logger } from '@voxbus/shared';
import type { conversationMachine } from './conversation-machine.js';
import { type ConversationContext, effectiveMode, FINISH_TOOL, manualTurns, type TurnOutcome } from './machine-types.js';
import type { ConversationPort } from './port.js';

type ActionImplementations = NonNullable<Parameters<typeof conversationMachine.provide>[0]['actions']>;

const msBetween = (fromUs: number | undefined, toUs: number | undefined) =>
  fromUs === undefined || toUs === undefined || toUs < fromUs ? null : Math.round((toUs - fromUs) / 1000);

/**
 * What was heard of the playing item now: its last reported position, moved on by the time
 * since (it is still playing unless it drained), never more than was received.
 */
export function heardNowMs(context: ConversationContext, nowUs: number): number | null {
  const position = context.position;
  if (position === null) return null;
  const moved = context.drained ? 0 : Math.max(0, (nowUs - position.atUs) / 1000);
  return Math.max(0, Math.min(position.receivedMs, Math.round(position.heardMs + moved)));
}

/** The machine's named effects, on the port. */
export function conversationEffects(port: ConversationPort, log: Logger): ActionImplementations {
  return {
    applyMic: ({ context }) => port.micMuted(!(context.micAllowed && !context.userMuted)),
    applySpeaker: ({ context }) => port.speakerMuted(context.assistantMuted),
    flushPlayback: () => port.flushPlayback(),
    cancelResponse: () => port.cancelResponse(),
    truncateHeard: ({ context }) => {
      const heardMs = heardNowMs(context, port.nowUs());
      if (context.position === null || heardMs === null) return;
      port.truncate(context.position.itemId, heardMs);
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
    heardMs: outcome === 'interrupted' ? heardNowMs(context, nowUs) : (context.position?.heardMs ?? null),
    receivedMs: context.position?.receivedMs ?? null,
    bargeInMs: outcome === 'interrupted' ? msBetween(timing.bargeInUs, nowUs) : null,
  };
}
