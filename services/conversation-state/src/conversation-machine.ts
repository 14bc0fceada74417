import { and } from 'xstate';
import { activeState } from './active-state.js';
import { conversationSetup } from './machine-setup.js';
import type { ConversationEventOf as E } from './machine-types.js';

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
export const conversationMachine = conversationSetup.createMachine({
  id: 'conversation',
  context: ({ input }) => ({
    settings: input.settings,
    echoConverged: false,
    dspVad: false,
    localVoice: { speaking: false, sinceUs: undefined },
    serverVoice: { speaking: false, sinceUs: undefined },
    micAllowed: false,
    userMuted: input.restored?.userMuted ?? false,
    assistantMuted: input.restored?.assistantMuted ?? false,
    turn: input.restored?.turn ?? 0,
    responseId: null,
    responseDone: false,
    responseHadAudio: false,
    responseAudioMs: null,
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
    heldAtUs: null,
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
    SPEECH_STARTED: { actions: 'followVoices' },
    SPEECH_STOPPED: { actions: 'followVoices' },
    // Told again only when its state disagrees (it restarted unmuted): a playback that says its
    // state after every command, as it may, would otherwise be told again for ever.
    PLAYBACK_STATE: { actions: ['playbackState', 'reconcileSpeaker'] },
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
    active: activeState,
  },
});

export type ConversationMachine = typeof conversationMachine;
