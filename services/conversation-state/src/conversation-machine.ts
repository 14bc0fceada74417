import { and, assign, cancel, fromCallback, raise, setup } from 'xstate';
import {
  BARGE_IN_CONFIRM_MS,
  type ConversationContext,
  type ConversationEvent,
  type ConversationInput,
  CUT_WAIT_MS,
  type EarconName,
  effectiveMode,
  FINISH_TOOL,
  LOCAL_VOICE_BEFORE_MS,
  manualTurns,
  type TurnOutcome,
} from './machine-types.js';

type E<T extends ConversationEvent['type']> = Extract<ConversationEvent, { type: T }>;
const isEarconItem = (itemId: string) => itemId.startsWith('earcon:');
/** Where playback's flush cut an item: heard up to there (never past what was received). */
const flushCut = (e: E<'PLAYBACK_FLUSHED'>) => ({ itemId: e.itemId, audioEndMs: Math.min(e.heardMs, e.receivedMs) });

/**
 * The conversation, as one machine. Every other service reports facts and obeys commands;
 * this decides who may speak. Side effects are named actions (effects.ts implements them on
 * the bus); timers are named delays; the bus reaches it only as events (bus-adapter.ts).
 *
 *   offline → connecting → active { listening ⇄ userSpeaking → waiting → assistantSpeaking → (tail) → listening }
 *   plus reconnecting, paused, ended, error.
 */
export const conversationMachine = setup({
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
    flushPlayback: () => {},
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
    allowMic: assign((_, params: { open: boolean }) => ({ micAllowed: params.open })),
    newTurn: assign(({ context, event }) => ({
      turn: context.turn + 1,
      timing: { speechStartedUs: 'atUs' in event ? event.atUs : undefined },
      responseId: null,
      responseDone: false,
      responseHadAudio: false,
      position: null,
      drained: false,
      restoring: false,
    })),
    /** The end of the user's speech (their VAD's, or the push-to-talk release). */
    markSpeechStopped: assign(({ context, event }) => ({ timing: { ...context.timing, speechStoppedUs: (event as E<'SPEECH_STOPPED'> | E<'PTT_STOP'>).atUs } })),
    responseCreated: assign(({ context, event }) => {
      const e = event as E<'RESPONSE_CREATED'>;
      return {
        responseId: e.responseId,
        responseDone: false,
        responseHadAudio: false,
        toolPending: false,
        timing: { ...context.timing, responseCreatedUs: context.timing.responseCreatedUs ?? e.atUs },
      };
    }),
    responseAudio: assign(({ context, event }) => ({
      responseHadAudio: true,
      timing: { ...context.timing, firstAudioUs: context.timing.firstAudioUs ?? (event as E<'RESPONSE_AUDIO'>).atUs },
    })),
    responseDone: assign(({ context, event }) => {
      const e = event as E<'RESPONSE_DONE'>;
      const current = context.responseId === null || context.responseId === e.responseId;
      return current ? { responseDone: true, responseHadAudio: context.responseHadAudio || e.audioMs > 0, responseId: e.responseId } : {};
    }),
    playbackStarted: assign(({ context, event }) => {
      const e = event as E<'PLAYBACK_STARTED'>;
      return {
        drained: false,
        position: { itemId: e.itemId, heardMs: 0, receivedMs: context.position?.itemId === e.itemId ? context.position.receivedMs : 0, atUs: e.heardAtUs },
        timing: { ...context.timing, heardUs: context.timing.heardUs ?? e.heardAtUs },
      };
    }),
    position: assign(({ event }) => {
      const e = event as E<'PLAYBACK_POSITION'>;
      return { position: { itemId: e.itemId, heardMs: e.heardMs, receivedMs: e.receivedMs, atUs: e.atUs }, drained: false };
    }),
    drained: assign(({ event }) => {
      const e = event as E<'PLAYBACK_DRAINED'>;
      return { position: { itemId: e.itemId, heardMs: e.heardMs, receivedMs: e.receivedMs, atUs: e.atUs }, drained: true };
    }),
    /** Playback says it has nothing left to play: as good as the item's drained event. */
    drainedByState: assign({ drained: true }),
    markBargeIn: assign(({ context, event }) => {
      const e = event as E<'SPEECH_STARTED'>;
      return { timing: { ...context.timing, bargeInUs: e.atUs, bargeInSpokenMs: e.spokenMs } };
    }),
    forgetResponse: assign({ responseId: null, responseDone: false, responseHadAudio: false, position: null, drained: false }),
    assumeReplyStreamed: assign({ responseDone: true, responseHadAudio: true, restoring: false }),
    stopRestoring: assign({ restoring: false, restoredState: null }),
    dspState: assign(({ context, event }) => {
      const e = event as E<'DSP_STATE'>;
      // A dsp that is not running hears no voice, whatever it last said (killed mid-speech, its
      // speech_stopped never came): a stale "speaking" would confirm every barge-in.
      const localVoice = e.running ? context.localVoice : { speaking: false, sinceUs: context.localVoice.sinceUs };
      return { echoConverged: e.converged, dspVad: e.vad, localVoice };
    }),
    /**
     * The dsp's echo-aware VAD started or stopped hearing a voice (a no-op for the model's VAD).
     * Every transition on a speech event runs it, so it is followed whichever state takes the event.
     */
    localVoice: assign(({ context, event }) => {
      if ((event.type !== 'SPEECH_STARTED' && event.type !== 'SPEECH_STOPPED') || event.source !== 'local') return {};
      return { localVoice: event.type === 'SPEECH_STARTED' ? { speaking: true, sinceUs: event.atUs } : { speaking: false, sinceUs: context.localVoice.sinceUs } };
    }),
    /** In auto mode the mode may change mid-reply: the microphone follows. */
    allowMicForMode: assign(({ context }) => ({ micAllowed: effectiveMode(context) === 'full-duplex' })),
    playbackState: assign(({ event }) => ({ playbackPlaying: (event as E<'PLAYBACK_STATE'>).state === 'playing' })),
    mute: assign(({ context, event }) => {
      const { target } = event as E<'MUTE'> | E<'UNMUTE'>;
      const muted = event.type === 'MUTE';
      return {
        userMuted: target === 'user' || target === 'all' ? muted : context.userMuted,
        assistantMuted: target === 'assistant' || target === 'all' ? muted : context.assistantMuted,
      };
    }),
    toolRequested: assign(({ event }) => ({ toolPending: true, finishRequested: (event as E<'TOOL_REQUESTED'>).name === FINISH_TOOL })),
    clearFinish: assign({ finishRequested: false }),
    gatewayError: assign(({ event }) => ({ lastError: { code: 'model_unreachable', message: (event as E<'GATEWAY'>).reason ?? 'the realtime link failed' } })),
    noResponseError: assign(({ context }) => ({ lastError: { code: 'no_response', message: `no response within ${context.settings.responseTimeoutMs} ms` } })),
    responseFailed: assign(({ event }) => {
      const e = event as E<'RESPONSE_DONE'>;
      return { lastError: { code: 'response_failed', message: e.reason ?? 'the response failed' } };
    }),
    clearError: assign({ lastError: null }),
    /** A reply is cut: remember where it stood, and give playback CUT_WAIT_MS to say where the flush cut. */
    holdCut: assign(({ context }) => ({ cut: context.position === null ? null : { position: context.position, drained: context.drained } })),
    armCutDeadline: raise({ type: 'CUT_DEADLINE' }, { id: 'cutDeadline', delay: 'cutWait' }),
    disarmCutDeadline: cancel('cutDeadline'),
    clearCut: assign({ cut: null }),

  },
  guards: {
    gatewayIs: ({ event }, params: { state: E<'GATEWAY'>['state'] }) => event.type === 'GATEWAY' && event.state === params.state,
    // Speech counts only while the model may hear it: the dsp's VAD runs on a microphone that
    // stays on (for the echo canceller) while the model's input is shut.
    startCounts: ({ context, event }) => {
      if (event.type !== 'SPEECH_STARTED' || context.settings.mode === 'push-to-talk' || !context.micAllowed) return false;
      return context.settings.vad === 'both' || context.settings.vad === event.source;
    },
    localSource: ({ event }) => (event.type === 'SPEECH_STARTED' || event.type === 'SPEECH_STOPPED') && event.source === 'local',
    /**
     * A voice over the reply is a person's, not the speaker's echo: the dsp's echo-aware VAD heard
     * it too (or it is the one taking turns, or there is none to ask).
     */
    nearEndConfirmed: ({ context }) => {
      if (context.settings.vad === 'local' || !context.dspVad) return true;
      const { localVoice, timing } = context;
      if (localVoice.speaking) return true;
      return localVoice.sinceUs !== undefined && timing.bargeInUs !== undefined && localVoice.sinceUs >= timing.bargeInUs - LOCAL_VOICE_BEFORE_MS * 1000;
    },
    /** The dsp's state flips auto mode between half- and full-duplex. */
    modeChanges: ({ context, event }) =>
      event.type === 'DSP_STATE' && effectiveMode(context) !== effectiveMode({ settings: context.settings, echoConverged: event.converged }),
    stopCounts: ({ context, event }) => {
      if (event.type !== 'SPEECH_STOPPED' || context.settings.mode === 'push-to-talk') return false;
      return event.source === (context.settings.vad === 'local' ? 'local' : 'server');
    },
    pushToTalk: ({ context }) => context.settings.mode === 'push-to-talk',
    manual: ({ context }) => manualTurns(context),
    halfDuplex: ({ context }) => effectiveMode(context) === 'half-duplex',
    fullDuplex: ({ context }) => effectiveMode(context) === 'full-duplex',
    assistantItem: ({ event }) => 'itemId' in event && !isEarconItem(event.itemId),
    currentItem: ({ context, event }) => 'itemId' in event && !isEarconItem(event.itemId) && (context.position === null || context.position.itemId === event.itemId),
    replyFinished: ({ context }) => context.drained && context.responseDone && context.toolPending === false,
    responseWithoutAudio: ({ context, event }) => event.type === 'RESPONSE_DONE' && !context.responseHadAudio && event.audioMs === 0,
    responseFailed: ({ event }) => event.type === 'RESPONSE_DONE' && event.status === 'failed',
    toolPending: ({ context }) => context.toolPending,
    finishRequested: ({ context }) => context.finishRequested,
    finishTool: ({ event }) => event.type === 'TOOL_REQUESTED' && event.name === FINISH_TOOL,
    listeningEarcon: ({ context }) => context.settings.earcons.listening,
    capturing: ({ event }) => event.type === 'CAPTURE_STATE' && (event.state === 'capturing' || event.state === 'muted'),
    playbackOpened: ({ event }) => event.type === 'PLAYBACK_STATE' && event.state === 'idle',
    restoredMidReply: ({ context }) => context.restoring && context.playbackPlaying,
    restoredAs: ({ context }, params: { state: string }) => context.restoredState === params.state,
    idleTimeoutOn: ({ context }) => context.settings.idleTimeoutMs > 0,
    playbackIdle: ({ event }) => event.type === 'PLAYBACK_STATE' && event.state === 'idle',
    /** Playback restarted (its first state) or failed: what it was playing is gone. */
    playbackGone: ({ event }) =>
      (event.type === 'PLAYBACK_STATE' && (event.state === 'opening' || event.state === 'error')) || (event.type === 'SERVICE_LOST' && event.service === 'playback'),
    gatewayLost: ({ event }) => event.type === 'SERVICE_LOST' && event.service === 'realtime-gateway',
    /** Playback's flush cut the item a barge-in (or pause) is waiting to truncate. */
    cutItem: ({ context, event }) => event.type === 'PLAYBACK_FLUSHED' && context.cut !== null && context.cut.position.itemId === event.itemId,
    cutPending: ({ context }) => context.cut !== null,
    otherResponse: ({ context, event }) => event.type === 'RESPONSE_CREATED' && context.responseId !== null && context.responseId !== event.responseId,
  },
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
    /**
     * Everything received has played, yet the model's stream never said it ended (the event was
     * lost, a broker restarted): after this long in silence the reply is taken as over.
     */
    replyQuiet: 3000,
  },
}).createMachine({
  id: 'conversation',
  context: ({ input }) => ({
    settings: input.settings,
    echoConverged: false,
    dspVad: false,
    localVoice: { speaking: false, sinceUs: undefined },
    micAllowed: false,
    userMuted: input.restored?.userMuted ?? false,
    assistantMuted: input.restored?.assistantMuted ?? false,
    turn: input.restored?.turn ?? 0,
    responseId: null,
    responseDone: false,
    responseHadAudio: false,
    position: null,
    drained: false,
    playbackPlaying: false,
    toolPending: false,
    finishRequested: false,
    restoring: input.restored !== undefined,
    restoredState: input.restored?.state ?? null,
    lastError: null,
    timing: {},
    cut: null,
  }),
  invoke: { src: 'bus', id: 'bus' },
  entry: ['applySpeaker', 'applyCapture'],
  initial: 'offline',
  // Facts and commands that mean the same in every state.
  on: {
    DSP_STATE: { actions: ['dspState', 'reconcileInput'] },
    MUTE: { actions: ['mute', 'applyMic', 'applyCapture', 'applySpeaker'] },
    UNMUTE: { actions: ['mute', 'applyMic', 'applyCapture', 'applySpeaker'] },
    // A restarted audio-capture starts unmuted, a restarted playback unmuted: say it again.
    CAPTURE_STATE: { guard: 'capturing', actions: 'reconcileCapture' },
    // The dsp's VAD is followed everywhere (it confirms barge-in); states that take turns by it say so below.
    SPEECH_STARTED: { actions: 'localVoice' },
    SPEECH_STOPPED: { actions: 'localVoice' },
    PLAYBACK_STATE: [{ guard: 'playbackOpened', actions: ['playbackState', 'applySpeaker'] }, { actions: 'playbackState' }],
    PLAYBACK_POSITION: { guard: 'currentItem', actions: 'position' },
    TOOL_REQUESTED: [
      { guard: 'finishTool', actions: ['toolRequested', { type: 'answerFinishTool', params: ({ event }) => ({ requestId: event.requestId }) }] },
      { actions: 'toolRequested' },
    ],
    GATEWAY: [
      { guard: { type: 'gatewayIs', params: { state: 'error' } }, target: '.error' },
      { guard: { type: 'gatewayIs', params: { state: 'stopped' } }, target: '.offline' },
    ],
    // A cut reply: the model keeps exactly what the speaker played, as playback measured it at the
    // flush (an estimate from the last position would be off by however late the flush ran).
    PLAYBACK_FLUSHED: {
      guard: 'cutItem',
      actions: [
        { type: 'truncate', params: ({ event }) => flushCut(event as E<'PLAYBACK_FLUSHED'>) },
        'clearCut',
        'disarmCutDeadline',
      ],
    },
    CUT_DEADLINE: { guard: 'cutPending', actions: ['truncateEstimated', 'clearCut'] },
  },
  states: {
    offline: {
      entry: [{ type: 'allowMic', params: { open: false } }, 'applyMic'],
      on: {
        GATEWAY: [
          // Restarted: a conversation that was ended or paused stays so.
          { guard: and([{ type: 'gatewayIs', params: { state: 'connected' as const } }, { type: 'restoredAs', params: { state: 'ended' } }]), target: 'ended', actions: 'stopRestoring' },
          { guard: and([{ type: 'gatewayIs', params: { state: 'connected' as const } }, { type: 'restoredAs', params: { state: 'paused' } }]), target: 'paused', actions: 'stopRestoring' },
          { guard: { type: 'gatewayIs', params: { state: 'connected' } }, target: 'active' },
          { guard: { type: 'gatewayIs', params: { state: 'connecting' } }, target: 'connecting' },
          { guard: { type: 'gatewayIs', params: { state: 'reconnecting' } }, target: 'reconnecting' },
          { guard: { type: 'gatewayIs', params: { state: 'error' } }, target: 'error' },
          { guard: { type: 'gatewayIs', params: { state: 'idle' } }, target: 'ended', actions: 'stopRestoring' },
        ],
      },
    },
    connecting: {
      entry: [{ type: 'allowMic', params: { open: false } }, 'applyMic'],
      on: {
        GATEWAY: [
          { guard: { type: 'gatewayIs', params: { state: 'connected' } }, target: 'active' },
          { guard: { type: 'gatewayIs', params: { state: 'reconnecting' } }, target: 'reconnecting' },
          { guard: { type: 'gatewayIs', params: { state: 'error' } }, target: 'error' },
          { guard: { type: 'gatewayIs', params: { state: 'stopped' } }, target: 'offline' },
        ],
        END: 'ended',
      },
    },
    /** The link dropped; the gateway is getting it back. What is still queued plays on. */
    reconnecting: {
      entry: [{ type: 'allowMic', params: { open: false } }, 'applyMic', 'forgetResponse'],
      on: {
        GATEWAY: [
          { guard: { type: 'gatewayIs', params: { state: 'connected' } }, target: 'active' },
          { guard: { type: 'gatewayIs', params: { state: 'error' } }, target: 'error' },
          { guard: { type: 'gatewayIs', params: { state: 'stopped' } }, target: 'offline' },
        ],
        END: 'ended',
      },
    },
    error: {
      entry: [
        { type: 'allowMic', params: { open: false } },
        'applyMic',
        'gatewayError',
        { type: 'playEarcon', params: { name: 'error' } },
      ],
      on: {
        GATEWAY: [{ guard: { type: 'gatewayIs', params: { state: 'connected' } }, target: 'active', actions: 'clearError' }],
        START: { actions: 'reconnectGateway' },
        END: 'ended',
      },
    },
    paused: {
      entry: [{ type: 'allowMic', params: { open: false } }, 'applyMic', 'flushPlayback', 'cancelResponse', 'holdCut', 'armCutDeadline', 'forgetResponse'],
      on: {
        RESUME: 'active',
        END: 'ended',
        GATEWAY: [{ guard: { type: 'gatewayIs', params: { state: 'reconnecting' } }, actions: [] }],
      },
    },
    ended: {
      entry: [{ type: 'allowMic', params: { open: false } }, 'applyMic', 'flushPlayback', 'cancelResponse', 'forgetResponse', 'clearFinish', 'disconnectGateway'],
      on: {
        START: { target: 'connecting', actions: 'reconnectGateway' },
        // The gateway's own comings and goings do not start a conversation that was ended.
        GATEWAY: [{ guard: { type: 'gatewayIs', params: { state: 'connected' } }, actions: 'disconnectGateway' }],
      },
    },
    active: {
      entry: ['configureTurns'],
      on: {
        PAUSE: 'paused',
        END: 'ended',
        GATEWAY: [
          { guard: { type: 'gatewayIs', params: { state: 'reconnecting' } }, target: 'reconnecting' },
          { guard: { type: 'gatewayIs', params: { state: 'connecting' } }, target: 'reconnecting' },
          { guard: { type: 'gatewayIs', params: { state: 'idle' } }, target: 'ended' },
        ],
        // The gateway died: its retained state still says connected; it will say otherwise when it is back.
        SERVICE_LOST: { guard: 'gatewayLost', target: 'reconnecting' },
      },
      initial: 'starting',
      states: {
        /** Where a conversation (re)starts: mid-reply after a restart, with the cue, or straight to listening. */
        starting: {
          always: [
            { guard: 'restoredMidReply', target: 'assistantSpeaking', actions: 'assumeReplyStreamed' },
            { guard: 'listeningEarcon', target: 'listening.chime', actions: 'stopRestoring' },
            { target: 'listening', actions: 'stopRestoring' },
          ],
        },
        listening: {
          initial: 'open',
          always: [{ guard: 'finishRequested', target: '#conversation.ended' }],
          after: { idleTimeout: { guard: 'idleTimeoutOn', target: '#conversation.ended' } },
          on: {
            SPEECH_STARTED: { guard: 'startCounts', target: 'userSpeaking', actions: 'localVoice' },
            PTT_START: { guard: 'pushToTalk', target: 'userSpeaking' },
            // A response nobody spoke for (a typed question, a tool's continuation).
            RESPONSE_CREATED: { target: 'waiting', actions: ['newTurn', 'responseCreated'] },
            PLAYBACK_STARTED: { guard: 'assistantItem', target: 'assistantSpeaking', actions: 'playbackStarted' },
          },
          states: {
            /** The cue plays with the microphone shut, so it cannot start a turn of its own. */
            chime: {
              entry: [{ type: 'allowMic', params: { open: false } }, 'applyMic', { type: 'playEarcon', params: { name: 'listening' } }],
              on: { EARCON_DRAINED: 'open' },
              after: { chimeMax: 'open' },
            },
            open: {
              entry: [
                { type: 'allowMic', params: ({ context }) => ({ open: context.settings.mode !== 'push-to-talk' }) },
                'applyMic',
                'clearUnusedInput',
              ],
              after: { manualClear: { guard: 'manual', target: 'open', reenter: true } },
            },
          },
        },
        userSpeaking: {
          entry: ['newTurn', { type: 'allowMic', params: { open: true } }, 'applyMic'],
          on: {
            SPEECH_STOPPED: [
              { guard: and(['stopCounts', 'manual']), target: 'waiting', actions: ['localVoice', 'markSpeechStopped', 'commitInput'] },
              { guard: 'stopCounts', target: 'waiting', actions: ['localVoice', 'markSpeechStopped'] },
            ],
            PTT_STOP: { guard: 'pushToTalk', target: 'releasing', actions: 'markSpeechStopped' },
            // The model decided the turn ended before our VAD did (both: server ends turns).
            RESPONSE_CREATED: { target: 'waiting', actions: 'responseCreated' },
          },
        },
        /** Push-to-talk released: the microphone shuts, the audio on its way arrives, then the commit. */
        releasing: {
          entry: [{ type: 'allowMic', params: { open: false } }, 'applyMic'],
          after: { pttCommitDelay: { target: 'waiting', actions: 'commitInput' } },
        },
        waiting: {
          entry: [{ type: 'playEarcon', params: { name: 'thinking' } }],
          after: {
            responseTimeout: {
              target: 'listening',
              actions: ['noResponseError', { type: 'reportTurn', params: { outcome: 'no_response' } }, { type: 'playEarcon', params: { name: 'error' } }],
            },
          },
          on: {
            RESPONSE_CREATED: { actions: 'responseCreated' },
            RESPONSE_AUDIO: [
              // Half-duplex: shut the microphone when the reply's audio arrives, before the speaker
              // sounds; waiting for playback's started event let the reply's first echo reach the
              // model (it heard speech and the turn went on).
              { guard: 'halfDuplex', actions: ['responseAudio', { type: 'allowMic', params: { open: false } }, 'applyMic'] },
              { actions: 'responseAudio' },
            ],
            PLAYBACK_STARTED: { guard: 'assistantItem', target: 'assistantSpeaking', actions: 'playbackStarted' },
            RESPONSE_DONE: [
              { guard: 'responseFailed', target: 'listening', actions: ['responseDone', 'responseFailed', { type: 'reportTurn', params: { outcome: 'failed' } }] },
              // A tool was called: its answer brings another response; keep waiting for it.
              { guard: and(['responseWithoutAudio', 'toolPending']), actions: 'responseDone', reenter: true, target: 'waiting' },
              { guard: 'responseWithoutAudio', target: 'listening', actions: ['responseDone', { type: 'reportTurn', params: { outcome: 'no_response' } }] },
              { actions: 'responseDone' },
            ],
            // The person goes on talking before the reply is heard: it was not the end of the turn.
            SPEECH_STARTED: {
              guard: 'startCounts',
              target: 'userSpeaking',
              actions: ['localVoice', 'cancelResponse', 'flushPlayback', { type: 'reportTurn', params: { outcome: 'continued' } }],
            },
            PTT_START: { guard: 'pushToTalk', target: 'userSpeaking', actions: ['cancelResponse', 'flushPlayback', { type: 'reportTurn', params: { outcome: 'continued' } }] },
          },
        },
        assistantSpeaking: {
          entry: ['allowMicForMode', 'applyMic'],
          always: [
            { guard: and(['replyFinished', 'finishRequested']), target: '#conversation.ended', actions: { type: 'reportTurn', params: { outcome: 'answered' } } },
            { guard: and(['replyFinished', 'halfDuplex']), target: 'tail', actions: { type: 'reportTurn', params: { outcome: 'answered' } } },
            { guard: 'replyFinished', target: 'listening', actions: { type: 'reportTurn', params: { outcome: 'answered' } } },
          ],
          on: {
            RESPONSE_CREATED: [
              // A response after a tool call continues the turn; any other (the model's VAD heard
              // echo as speech) would talk over the reply: refuse it.
              { guard: 'toolPending', actions: 'responseCreated' },
              { guard: 'otherResponse', actions: 'cancelResponse' },
              { actions: 'responseCreated' },
            ],
            RESPONSE_AUDIO: { actions: 'responseAudio' },
            RESPONSE_DONE: { actions: 'responseDone' },
            // auto: convergence gained or lost mid-reply opens or shuts the model's input at once.
            DSP_STATE: [{ guard: 'modeChanges', actions: ['dspState', 'allowMicForMode', 'applyMic'] }, { actions: ['dspState', 'reconcileInput'] }],
            PLAYBACK_STARTED: { guard: 'assistantItem', target: '.playing', actions: 'playbackStarted' },
            PLAYBACK_POSITION: { guard: 'currentItem', target: '.playing', actions: 'position' },
            PLAYBACK_DRAINED: { guard: 'currentItem', target: '.quiet', actions: 'drained' },
            PLAYBACK_STATE: [
              { guard: 'playbackIdle', target: '.quiet', actions: ['playbackState', 'drainedByState'] },
              { guard: 'playbackGone', target: 'tail', actions: ['playbackState', { type: 'reportTurn', params: { outcome: 'abandoned' } }] },
              { actions: 'playbackState' },
            ],
            SERVICE_LOST: { guard: 'playbackGone', target: 'tail', actions: { type: 'reportTurn', params: { outcome: 'abandoned' } } },
            PLAYBACK_FLUSHED: { guard: 'currentItem', target: 'listening', actions: { type: 'reportTurn', params: { outcome: 'interrupted' } } },
          },
          initial: 'playing',
          states: {
            playing: {
              on: {
                SPEECH_STARTED: { guard: and(['startCounts', 'fullDuplex']), target: 'bargeIn', actions: ['localVoice', 'markBargeIn'] },
                PTT_START: { guard: 'pushToTalk', target: '#conversation.active.userSpeaking', actions: ['flushPlayback', 'cancelResponse', 'holdCut', 'armCutDeadline', { type: 'reportTurn', params: { outcome: 'interrupted' } }] },
              },
            },
            /**
             * Speech over the reply: it interrupts only if it lasts (a cough, a click does not) and
             * the dsp's echo-aware VAD says it is a person, not the speaker's own echo.
             */
            bargeIn: {
              initial: 'guarding',
              on: {
                SPEECH_STOPPED: [{ guard: 'stopCounts', target: 'playing', actions: 'localVoice' }, { actions: 'localVoice' }],
                SPEECH_STARTED: { actions: 'localVoice' },
                // The position moves on while the guard runs: stay here, do not restart the guard.
                PLAYBACK_POSITION: { guard: 'currentItem', actions: 'position' },
              },
              states: {
                guarding: { after: { bargeInMin: 'confirming' } },
                confirming: {
                  always: {
                    guard: 'nearEndConfirmed',
                    target: '#conversation.active.userSpeaking',
                    // In this order, at once: silence, stop the model, tell it what was heard.
                    actions: ['flushPlayback', 'cancelResponse', 'holdCut', 'armCutDeadline', { type: 'reportTurn', params: { outcome: 'interrupted' } }],
                  },
                  // Never confirmed: the model's VAD heard the echo. The reply goes on.
                  after: { bargeInConfirm: '#conversation.active.assistantSpeaking.playing' },
                },
              },
            },
            /** All received has played; more may still come (a slow network), or the end of the stream. */
            quiet: {
              after: {
                replyQuiet: [
                  { guard: 'halfDuplex', target: '#conversation.active.tail', actions: { type: 'reportTurn', params: { outcome: 'answered' } } },
                  { target: '#conversation.active.listening', actions: { type: 'reportTurn', params: { outcome: 'answered' } } },
                ],
              },
            },
          },
        },
        /** Half-duplex: the reply drained; the microphone stays shut while the room's echo dies away. */
        tail: {
          entry: [{ type: 'allowMic', params: { open: false } }, 'applyMic'],
          after: { tail: 'listening' },
          always: [{ guard: 'finishRequested', target: '#conversation.ended' }],
          on: {
            PLAYBACK_STARTED: { guard: 'assistantItem', target: 'assistantSpeaking', actions: 'playbackStarted' },
            RESPONSE_CREATED: { target: 'waiting', actions: ['newTurn', 'responseCreated'] },
          },
        },
      },
    },
  },
});

export type ConversationMachine = typeof conversationMachine;
