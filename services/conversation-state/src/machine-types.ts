import { type ConversationMode, PAUSE_MAX_MS } from '@voxbus/shared';
import type { ConversationConfig } from './config.js';

export type { EarconName, TurnOutcome } from '@voxbus/shared';
export type Mode = ConversationMode;
/** Who detects speech when one source is meant (the contract's `both` is the two together). */
export type VadSource = 'server' | 'local';

/** Where the assistant's audio is, from playback's item events. */
export interface HeardPosition {
  readonly itemId: string;
  readonly heardMs: number;
  readonly receivedMs: number;
  /** CLOCK_MONOTONIC µs the position was measured. */
  readonly atUs: number;
}

/** CLOCK_MONOTONIC µs of the moments of a turn, for its latency report. */
export interface TurnTiming {
  speechStartedUs?: number | undefined;
  speechStoppedUs?: number | undefined;
  responseCreatedUs?: number | undefined;
  firstAudioUs?: number | undefined;
  heardUs?: number | undefined;
  bargeInUs?: number | undefined;
  /** Speech over the reply already heard when it was reported: counts toward the barge-in minimum. */
  bargeInSpokenMs?: number | undefined;
}

/** What a restarted service takes over from its last retained state. */
export interface Restored {
  readonly state: string;
  readonly userMuted: boolean;
  readonly assistantMuted: boolean;
  readonly turn: number;
}

export interface ConversationInput {
  readonly settings: ConversationConfig;
  readonly restored?: Restored | undefined;
}

export interface ConversationContext {
  readonly settings: ConversationConfig;
  echoConverged: boolean;
  /** The dsp runs its echo-aware VAD: a voice over the reply can be confirmed by it. */
  dspVad: boolean;
  /** The dsp's VAD (echo-aware: it tells a voice from the speaker's echo) hears speech, and since when (arrival, µs). */
  localVoice: { speaking: boolean; sinceUs: number | undefined };
  /** The model's VAD hears speech, and since when (arrival, µs): a late word from the dsp's VAD may confirm it. */
  serverVoice: { speaking: boolean; sinceUs: number | undefined };
  /** What the state allows of the microphone; it is open when allowed and the user is not muted. */
  micAllowed: boolean;
  userMuted: boolean;
  assistantMuted: boolean;
  turn: number;
  /** The response in progress (created, not yet done), and whether its stream has ended. */
  responseId: string | null;
  responseDone: boolean;
  responseHadAudio: boolean;
  /** The audio the model sent for the response, as its `done` said (null until then). */
  responseAudioMs: number | null;
  /** The assistant item playing, as far as playback last said, and whether it has drained. */
  position: HeardPosition | null;
  drained: boolean;
  /** Playback's retained state said it is playing (for a service restarted mid-reply). */
  playbackPlaying: boolean;
  /** A tool call is out: the turn goes on with another response when it is answered. */
  toolPending: boolean;
  /** The model called finish_conversation: the conversation ends once its goodbye has played. */
  finishRequested: boolean;
  /** Taken over from a previous run of the service: consumed on the first turn decision. */
  restoring: boolean;
  /** The state the previous run left (an ended or paused conversation stays so). */
  restoredState: string | null;
  lastError: { code: string; message: string } | null;
  timing: TurnTiming;
  /**
   * A reply was cut (barge-in, push-to-talk, pause): where it stood, until playback says where
   * its flush really cut it; the model's item is truncated to that.
   */
  cut: { readonly position: HeardPosition; readonly drained: boolean; readonly heldAtUs: number | null } | null;
  /**
   * The reply is held (paused by a voice over it) since then (µs): what was heard does not move
   * on from there, whatever the time since the last position (a playback need not say positions
   * while nothing plays).
   */
  heldAtUs: number | null;
}

/** Everything the machine hears, from the bus adapter (with arrival times) and its commands. */
export type ConversationEvent =
  | { type: 'GATEWAY'; state: 'connecting' | 'connected' | 'reconnecting' | 'idle' | 'error' | 'stopped'; reason: string | null }
  /** `spokenMs`: how long the speech had already lasted when it was reported (the dsp VAD's minimum). */
  | { type: 'SPEECH_STARTED'; source: VadSource; atUs: number; spokenMs: number }
  /** The dsp heard a voice begin (not yet speech: a cough is one too); `spokenMs` of it. */
  | { type: 'VOICE_ONSET'; atUs: number; spokenMs: number }
  | { type: 'SPEECH_STOPPED'; source: VadSource; atUs: number }
  | { type: 'RESPONSE_CREATED'; responseId: string; atUs: number }
  | { type: 'RESPONSE_AUDIO'; responseId: string; atUs: number }
  | { type: 'RESPONSE_DONE'; responseId: string; status: string; reason: string | null; audioMs: number; atUs: number }
  | { type: 'PLAYBACK_STARTED'; itemId: string; heardAtUs: number }
  | { type: 'PLAYBACK_POSITION'; itemId: string; heardMs: number; receivedMs: number; atUs: number }
  | { type: 'PLAYBACK_DRAINED'; itemId: string; heardMs: number; receivedMs: number; atUs: number }
  | { type: 'PLAYBACK_FLUSHED'; itemId: string; heardMs: number; receivedMs: number; atUs: number }
  | { type: 'EARCON_DRAINED'; name: string }
  | { type: 'PLAYBACK_STATE'; state: string; muted: boolean }
  /** A service's Last Will: it died (the runner or compose restarts it). */
  | { type: 'SERVICE_LOST'; service: 'playback' | 'realtime-gateway' }
  | { type: 'CAPTURE_STATE'; state: string }
  /** The dsp's retained state: echo cancellation converged, its output (audio/input) muted, its VAD running. */
  /** `running`: the dsp is processing the microphone (a restarted dsp is not, until audio comes). */
  | { type: 'DSP_STATE'; converged: boolean; muted: boolean; vad: boolean; running: boolean }
  | { type: 'TOOL_REQUESTED'; requestId: string; name: string }
  | { type: 'MUTE'; target: 'user' | 'assistant' | 'all' }
  | { type: 'UNMUTE'; target: 'user' | 'assistant' | 'all' }
  | { type: 'PAUSE' }
  | { type: 'RESUME' }
  | { type: 'PTT_START'; atUs: number }
  | { type: 'PTT_STOP'; atUs: number }
  | { type: 'END' }
  | { type: 'START' }
  /** Playback never said where its flush cut (it died): truncate at the estimate. */
  | { type: 'CUT_DEADLINE' };

/** One of the machine's events, by its type. */
export type ConversationEventOf<T extends ConversationEvent['type']> = Extract<ConversationEvent, { type: T }>;

/** The mode in force: the configured one, or in `auto`, full-duplex only while echo cancellation is converged. */
export function effectiveMode(context: Pick<ConversationContext, 'settings' | 'echoConverged'>): Mode {
  const { mode } = context.settings;
  if (mode !== 'auto') return mode;
  return context.echoConverged ? 'full-duplex' : 'half-duplex';
}

/**
 * How long after the barge-in minimum a voice over the reply may wait for the dsp's echo-aware
 * VAD to confirm it (the model's VAD hears a voice sooner than the dsp's 150 ms minimum).
 */
export const BARGE_IN_CONFIRM_MS = 300;
/** A pause outlives the guard by this much (the bus, a late timer) before playback ends it itself. */
const PAUSE_MARGIN_MS = 250;
/** How long a barge-in's pause may hold the speaker: the whole guard, and a margin. */
export function pauseForMs(bargeInMinMs: number): number {
  return Math.min(PAUSE_MAX_MS, bargeInMinMs + BARGE_IN_CONFIRM_MS + PAUSE_MARGIN_MS);
}
/** A dsp speech start this long before the model's counts for the same voice. */
export const LOCAL_VOICE_BEFORE_MS = 500;
/**
 * A dsp speech start this long after the model's still counts for the same voice, while the model
 * hears it yet, even after the guard let the reply go on: the dsp gates a voice as echo for up to
 * half a second after the speaker's stream moves, and its own minimum of speech follows (a run in
 * CI confirmed 790 ms after the model's start).
 */
export const LOCAL_VOICE_AFTER_MS = 1500;

/** Whether turns end by commit (local VAD, push-to-talk) rather than by the model's VAD. */
export function manualTurns(context: Pick<ConversationContext, 'settings'>): boolean {
  return context.settings.mode === 'push-to-talk' || context.settings.vad === 'local';
}

/** How long a cut reply waits for playback to say where its flush cut before truncating at an estimate. */
export const CUT_WAIT_MS = 500;

/**
 * What was heard of the playing item at `atUs`: its last reported position, moved on by the
 * time since (it is still playing unless it drained, or up to when it was held), never more than
 * was received.
 */
export function heardAtMs(where: { position: HeardPosition | null; drained: boolean; heldAtUs: number | null }, atUs: number): number | null {
  const { position } = where;
  if (position === null) return null;
  const untilUs = where.heldAtUs === null ? atUs : Math.min(atUs, where.heldAtUs);
  const moved = where.drained ? 0 : Math.max(0, (untilUs - position.atUs) / 1000);
  return Math.max(0, Math.min(position.receivedMs, Math.round(position.heardMs + moved)));
}

/** The finish_conversation tool's name, as the gateway declares it by default. */
export const FINISH_TOOL = 'finish_conversation';
