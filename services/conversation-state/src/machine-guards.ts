/** The machine's guards: what its transitions test, as plain functions of its context, event and params. */
import { earconName } from '@voxbus/shared';
import {
  type ConversationContext,
  type ConversationEvent,
  type ConversationEventOf as E,
  effectiveMode,
  FINISH_TOOL,
  LOCAL_VOICE_AFTER_MS,
  LOCAL_VOICE_BEFORE_MS,
  manualTurns,
} from './machine-types.js';

type GuardArgs = { context: ConversationContext; event: ConversationEvent };

const isEarconItem = (itemId: string) => earconName(itemId) !== undefined;

/** Two frames: the model's count and playback's may differ by rounding, or by a frame lost on the way (audio is QoS 0). */
const RECEIVED_TOLERANCE_MS = 40;

/**
 * Playback has received all the audio the model sent: a playback that drained only because the
 * rest is still on its way (it reads the bus late, under load) has not finished the reply. If
 * the rest never comes (lost), the `quiet` wait ends the reply anyway.
 */
function playbackHasItAll(context: ConversationContext): boolean {
  if (context.responseAudioMs === null || context.position === null) return true;
  return context.position.receivedMs + RECEIVED_TOLERANCE_MS >= context.responseAudioMs;
}

export const conversationGuards = {
  gatewayIs: ({ event }, params: { state: E<'GATEWAY'>['state'] }) => event.type === 'GATEWAY' && event.state === params.state,
  // Speech counts only while the model may hear it: the dsp's VAD runs on a microphone that
  // stays on (for the echo canceller) while the model's input is shut.
  startCounts: ({ context, event }) => {
    if (event.type !== 'SPEECH_STARTED' || context.settings.mode === 'push-to-talk' || !context.micAllowed) return false;
    return context.settings.vad === 'both' || context.settings.vad === event.source;
  },
  /**
   * A voice beginning over the reply holds it while the dsp decides whether it is speech: where
   * the dsp's VAD takes the turns (the model's VAD holds it on its own speech_started) and holding
   * is on.
   */
  onsetCounts: ({ context, event }) =>
    event.type === 'VOICE_ONSET' && context.settings.vad === 'local' && context.settings.mode !== 'push-to-talk' && context.micAllowed && context.settings.bargeInPause,
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
  /**
   * The dsp's VAD heard a voice late, while the model still hears the one it began hearing just
   * before: the guard had run out waiting for the dsp (in doubt over the speaker's echo when the
   * voice began) and let the reply go on. Both hear it now: a person, not the echo.
   */
  lateConfirmation: ({ context, event }) => {
    if (event.type !== 'SPEECH_STARTED' || event.source !== 'local' || context.settings.vad !== 'server') return false;
    if (context.settings.mode === 'push-to-talk' || !context.micAllowed || !context.dspVad) return false;
    const { serverVoice } = context;
    if (!serverVoice.speaking || serverVoice.sinceUs === undefined) return false;
    // The model's voice has lasted the barge-in minimum (the guard that let the reply go on ran it).
    const lastedUs = event.atUs - serverVoice.sinceUs;
    return lastedUs >= context.settings.bargeInMinMs * 1000 && lastedUs <= LOCAL_VOICE_AFTER_MS * 1000;
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
  /** The response ended with audio, and playback never said it started playing it. */
  answeredUnplayed: ({ context }) => context.responseDone && context.responseHadAudio && context.position === null,
  replyFinished: ({ context }) => context.drained && context.responseDone && context.toolPending === false && playbackHasItAll(context),
  responseWithoutAudio: ({ context, event }) => event.type === 'RESPONSE_DONE' && !context.responseHadAudio && event.audioMs === 0,
  responseFailed: ({ event }) => event.type === 'RESPONSE_DONE' && event.status === 'failed',
  toolPending: ({ context }) => context.toolPending,
  finishRequested: ({ context }) => context.finishRequested,
  finishTool: ({ event }) => event.type === 'TOOL_REQUESTED' && event.name === FINISH_TOOL,
  listeningEarcon: ({ context }) => context.settings.earcons.listening,
  capturing: ({ event }) => event.type === 'CAPTURE_STATE' && (event.state === 'capturing' || event.state === 'muted'),
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
} satisfies Record<string, (args: GuardArgs, params: never) => boolean>;
