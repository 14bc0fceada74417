/** The machine's vocabulary: its types, actor, named effects (no-ops here), context updates, guards and delays. */
import { assign, cancel, fromCallback, raise, setup } from 'xstate';
import { conversationGuards } from './machine-guards.js';
import {
  BARGE_IN_CONFIRM_MS,
  type ConversationContext,
  type ConversationEvent,
  type ConversationInput,
  CUT_WAIT_MS,
  type EarconName,
  type TurnOutcome,
} from './machine-types.js';
import { contextUpdates } from './machine-updates.js';

export const conversationSetup = setup({
  types: {
    context: {} as ConversationContext,
    events: {} as ConversationEvent,
    input: {} as ConversationInput,
  },
  actors: {
    /** The bus adapter (bus-adapter.ts); nothing here, so pure transitions need no bus. */
    bus: fromCallback<ConversationEvent>(() => () => {}),
  },
  actions: {
    // ---- effects (implemented by effects.ts; no-ops here, so pure transitions can be computed)
    /** Opens or closes what the model hears: open when the state allows it and the user is not muted. */
    applyMic: () => {},
    /** Turns the microphone itself off or on: the user's mute. */
    applyCapture: () => {},
    /** Tells a dsp whose retained state disagrees (it restarted) what the model may hear. */
    reconcileInput: () => {},
    /** Tells an audio-capture whose retained state disagrees (it restarted) whether the user muted it. */
    reconcileCapture: () => {},
    /** Mutes or unmutes the speaker to match `assistantMuted`. */
    applySpeaker: () => {},
    /** Tells a playback whose state disagrees (it restarted) whether the assistant is muted. */
    reconcileSpeaker: () => {},
    flushPlayback: () => {},
    /** Holds the reply's sound while the barge-in guard decides (resumed, or ended by the flush). */
    pausePlayback: () => {},
    /** Lets a held reply go on: the guard turned the voice down (nothing is said when a flush ended the pause). */
    resumePlayback: () => {},
    cancelResponse: () => {},
    /** Truncates the assistant item to what was heard. */
    truncate: (_, _params: { itemId: string; audioEndMs: number }) => {},
    /** Truncates the cut item where it stood when cut, by its last position (playback never said). */
    truncateEstimated: () => {},
    commitInput: () => {},
    /** With turns by commit, clears the model's input buffer of audio no turn used (nothing to do with the model's turns). */
    clearUnusedInput: () => {},
    /** Plays a cue, when the configuration has it on. */
    playEarcon: (_, _params: { name: EarconName }) => {},
    /** Tells the gateway how turns are taken (model VAD, or commits). */
    configureTurns: () => {},
    disconnectGateway: () => {},
    reconnectGateway: () => {},
    answerFinishTool: (_, _params: { requestId: string }) => {},
    reportTurn: (_, _params: { outcome: TurnOutcome }) => {},

    // ---- context
    allowMic: assign(contextUpdates.allowMic),
    newTurn: assign(contextUpdates.newTurn),
    markSpeechStopped: assign(contextUpdates.markSpeechStopped),
    responseCreated: assign(contextUpdates.responseCreated),
    responseAudio: assign(contextUpdates.responseAudio),
    responseDone: assign(contextUpdates.responseDone),
    playbackStarted: assign(contextUpdates.playbackStarted),
    position: assign(contextUpdates.position),
    startedByPosition: assign(contextUpdates.startedByPosition),
    drained: assign(contextUpdates.drained),
    drainedByState: assign(contextUpdates.drainedByState),
    markBargeIn: assign(contextUpdates.markBargeIn),
    forgetResponse: assign(contextUpdates.forgetResponse),
    assumeReplyStreamed: assign(contextUpdates.assumeReplyStreamed),
    stopRestoring: assign(contextUpdates.stopRestoring),
    dspState: assign(contextUpdates.dspState),
    followVoices: assign(contextUpdates.followVoices),
    allowMicForMode: assign(contextUpdates.allowMicForMode),
    playbackState: assign(contextUpdates.playbackState),
    mute: assign(contextUpdates.mute),
    toolRequested: assign(contextUpdates.toolRequested),
    clearFinish: assign(contextUpdates.clearFinish),
    gatewayError: assign(contextUpdates.gatewayError),
    noResponseError: assign(contextUpdates.noResponseError),
    notPlayedError: assign(contextUpdates.notPlayedError),
    responseFailed: assign(contextUpdates.responseFailed),
    clearError: assign(contextUpdates.clearError),
    /** A reply is cut: remember where it stood, and give playback CUT_WAIT_MS to say where the flush cut. */
    holdCut: assign(contextUpdates.holdCut),
    armCutDeadline: raise({ type: 'CUT_DEADLINE' }, { id: 'cutDeadline', delay: 'cutWait' }),
    disarmCutDeadline: cancel('cutDeadline'),
    clearCut: assign(contextUpdates.clearCut),
    holdReply: assign(contextUpdates.holdReply),
    releaseReply: assign(contextUpdates.releaseReply),
  },
  guards: conversationGuards,
  delays: {
    tail: ({ context }) => context.settings.tailMs,
    /** What is left of the barge-in minimum after the speech the VAD had already heard. */
    bargeInMin: ({ context }) => Math.max(0, context.settings.bargeInMinMs - (context.timing.bargeInSpokenMs ?? 0)),
    responseTimeout: ({ context }) => context.settings.responseTimeoutMs,
    idleTimeout: ({ context }) => context.settings.idleTimeoutMs,
    pttCommitDelay: ({ context }) => context.settings.pttCommitDelayMs,
    manualClear: ({ context }) => context.settings.manualClearMs,
    /** The listening cue is under 200 ms; if playback never says it drained, open anyway. */
    chimeMax: 1000,
    cutWait: CUT_WAIT_MS,
    bargeInConfirm: BARGE_IN_CONFIRM_MS,
    /** A voice's onset holds the reply this long for the dsp's speech_started (its minimum, and the vowel it may wait for). */
    onsetHold: BARGE_IN_CONFIRM_MS,
    /**
     * Everything received has played, yet the model's stream never said it ended (the event was
     * lost, a broker restarted): after this long in silence the reply is taken as over.
     */
    replyQuiet: 3000,
  },
});
