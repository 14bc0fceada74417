/** The machine's context updates: what each fact or command changes, as plain values or functions of context, event and params (machine-setup.ts wraps each in `assign`). */
import {
  type ConversationContext,
  type ConversationEvent,
  type ConversationEventOf as E,
  effectiveMode,
  FINISH_TOOL,
} from './machine-types.js';

type UpdateArgs = { context: ConversationContext; event: ConversationEvent };
type Update = Partial<ConversationContext>;

export const contextUpdates = {
  allowMic: (_, params: { open: boolean }) => ({ micAllowed: params.open }),
  newTurn: ({ context, event }) => ({
    turn: context.turn + 1,
    timing: { speechStartedUs: 'atUs' in event ? event.atUs : undefined },
    responseId: null,
    responseDone: false,
    responseHadAudio: false,
    responseAudioMs: null,
    position: null,
    drained: false,
    heldAtUs: null,
    restoring: false,
  }),
  /** The end of the user's speech (their VAD's, or the push-to-talk release). */
  markSpeechStopped: ({ context, event }) => ({ timing: { ...context.timing, speechStoppedUs: (event as E<'SPEECH_STOPPED'> | E<'PTT_STOP'>).atUs } }),
  responseCreated: ({ context, event }) => {
    const e = event as E<'RESPONSE_CREATED'>;
    return {
      responseId: e.responseId,
      responseDone: false,
      responseHadAudio: false,
      responseAudioMs: null,
      toolPending: false,
      timing: { ...context.timing, responseCreatedUs: context.timing.responseCreatedUs ?? e.atUs },
    };
  },
  responseAudio: ({ context, event }) => ({
    responseHadAudio: true,
    timing: { ...context.timing, firstAudioUs: context.timing.firstAudioUs ?? (event as E<'RESPONSE_AUDIO'>).atUs },
  }),
  responseDone: ({ context, event }) => {
    const e = event as E<'RESPONSE_DONE'>;
    const current = context.responseId === null || context.responseId === e.responseId;
    return current ? { responseDone: true, responseHadAudio: context.responseHadAudio || e.audioMs > 0, responseAudioMs: e.audioMs, responseId: e.responseId } : {};
  },
  playbackStarted: ({ context, event }) => {
    const e = event as E<'PLAYBACK_STARTED'>;
    // The same item starting again (it ran dry, more came) goes on from where it was heard to.
    const same = context.position?.itemId === e.itemId ? context.position : undefined;
    return {
      drained: false,
      position: { itemId: e.itemId, heardMs: same?.heardMs ?? 0, receivedMs: same?.receivedMs ?? 0, atUs: e.heardAtUs },
      timing: { ...context.timing, heardUs: context.timing.heardUs ?? e.heardAtUs },
    };
  },
  /** A position of the reply before its `started` (lost on the way): it started `heardMs` before the position. */
  startedByPosition: ({ context, event }) => {
    const e = event as E<'PLAYBACK_POSITION'>;
    return {
      drained: false,
      position: { itemId: e.itemId, heardMs: e.heardMs, receivedMs: e.receivedMs, atUs: e.atUs },
      timing: { ...context.timing, heardUs: context.timing.heardUs ?? e.atUs - e.heardMs * 1000 },
    };
  },
  position: ({ event }) => {
    const e = event as E<'PLAYBACK_POSITION'>;
    return { position: { itemId: e.itemId, heardMs: e.heardMs, receivedMs: e.receivedMs, atUs: e.atUs }, drained: false };
  },
  drained: ({ event }) => {
    const e = event as E<'PLAYBACK_DRAINED'>;
    return { position: { itemId: e.itemId, heardMs: e.heardMs, receivedMs: e.receivedMs, atUs: e.atUs }, drained: true };
  },
  /** Playback says it has nothing left to play: as good as the item's drained event. */
  drainedByState: { drained: true },
  markBargeIn: ({ context, event }) => {
    const e = event as E<'SPEECH_STARTED'> | E<'VOICE_ONSET'>;
    return { timing: { ...context.timing, bargeInUs: e.atUs, bargeInSpokenMs: e.spokenMs } };
  },
  forgetResponse: { responseId: null, responseDone: false, responseHadAudio: false, responseAudioMs: null, position: null, drained: false },
  assumeReplyStreamed: { responseDone: true, responseHadAudio: true, responseAudioMs: null, restoring: false },
  stopRestoring: { restoring: false, restoredState: null },
  dspState: ({ context, event }) => {
    const e = event as E<'DSP_STATE'>;
    // A dsp that is not running hears no voice, whatever it last said (killed mid-speech, its
    // speech_stopped never came): a stale "speaking" would confirm every barge-in.
    const localVoice = e.running ? context.localVoice : { speaking: false, sinceUs: context.localVoice.sinceUs };
    return { echoConverged: e.converged, dspVad: e.vad, localVoice };
  },
  /**
   * The dsp's echo-aware VAD or the model's started or stopped hearing a voice. Every transition
   * on a speech event runs it, so both are followed whichever state takes the event.
   */
  followVoices: ({ context, event }) => {
    if (event.type !== 'SPEECH_STARTED' && event.type !== 'SPEECH_STOPPED') return {};
    const key = event.source === 'local' ? 'localVoice' : 'serverVoice';
    return { [key]: event.type === 'SPEECH_STARTED' ? { speaking: true, sinceUs: event.atUs } : { speaking: false, sinceUs: context[key].sinceUs } };
  },
  /** In auto mode the mode may change mid-reply: the microphone follows. */
  allowMicForMode: ({ context }) => ({ micAllowed: effectiveMode(context) === 'full-duplex' }),
  playbackState: ({ event }) => ({ playbackPlaying: (event as E<'PLAYBACK_STATE'>).state === 'playing' }),
  mute: ({ context, event }) => {
    const { target } = event as E<'MUTE'> | E<'UNMUTE'>;
    const muted = event.type === 'MUTE';
    return {
      userMuted: target === 'user' || target === 'all' ? muted : context.userMuted,
      assistantMuted: target === 'assistant' || target === 'all' ? muted : context.assistantMuted,
    };
  },
  toolRequested: ({ event }) => ({ toolPending: true, finishRequested: (event as E<'TOOL_REQUESTED'>).name === FINISH_TOOL }),
  clearFinish: { finishRequested: false },
  gatewayError: ({ event }) => ({ lastError: { code: 'model_unreachable', message: (event as E<'GATEWAY'>).reason ?? 'the realtime link failed' } }),
  notPlayedError: ({ context }) => ({
    lastError: { code: 'not_played', message: `the model answered, but playback did not start playing it within ${context.settings.responseTimeoutMs} ms (is playback running, with a speaker?)` },
  }),
  noResponseError: ({ context }) => ({ lastError: { code: 'no_response', message: `no response within ${context.settings.responseTimeoutMs} ms` } }),
  responseFailed: ({ event }) => {
    const e = event as E<'RESPONSE_DONE'>;
    return { lastError: { code: 'response_failed', message: e.reason ?? 'the response failed' } };
  },
  clearError: { lastError: null },
  /** Where a cut reply stood (machine-setup.ts arms the deadline for playback's word with it). */
  holdCut: ({ context }) => ({ cut: context.position === null ? null : { position: context.position, drained: context.drained, heldAtUs: context.heldAtUs } }),
  /** The reply is paused from the barge-in's start (markBargeIn set it, just before), unless pausing is off. */
  holdReply: ({ context }) => ({ heldAtUs: context.settings.bargeInPause ? (context.timing.bargeInUs ?? null) : null }),
  releaseReply: { heldAtUs: null },
  clearCut: { cut: null },
} satisfies Record<string, Update | ((args: UpdateArgs, params: never) => Update)>;
