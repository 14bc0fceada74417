import type { Payload } from '@voxbus/shared';
import type { EarconName } from './machine-types.js';

export type TurnReportPayload = Payload<'conversation.event.turn'>;

/** What the conversation can make the other services do. main.ts implements it on the bus; tests record it. */
export interface ConversationPort {
  /**
   * What the model hears (dsp/cmd/mute): shut in half-duplex while the assistant speaks, and
   * whenever the turn is not the user's. The microphone keeps running, so the echo canceller
   * keeps learning. `resend`: say it even if it was said (the dsp restarted and forgot).
   */
  inputMuted(muted: boolean, resend?: boolean): void;
  /** The user's own mute (audio-capture/cmd/mute): the microphone stops altogether. */
  micMuted(muted: boolean, resend?: boolean): void;
  /** The assistant's mute (playback/cmd/mute). `resend`: say it even if it was said (playback restarted, or says otherwise). */
  speakerMuted(muted: boolean, resend?: boolean): void;
  flushPlayback(): void;
  /**
   * Hold the speaker's sound, losing none of it (a voice started over the reply; the barge-in
   * guard decides next). Playback goes on by itself after `forMs`, in case this service dies.
   */
  pausePlayback(forMs: number): void;
  /**
   * Let a held reply go on. Said after the rest of the step's effects, and not at all when one of
   * them flushes (the flush ends the pause): a state's exit actions run before the transition's
   * and the next state's, and a resume said before a flush would let the held reply sound again
   * for a moment.
   */
  resumePlayback(): void;
  cancelResponse(): void;
  truncate(itemId: string, audioEndMs: number): void;
  commitInput(): void;
  clearInput(): void;
  earcon(name: EarconName): void;
  turnDetection(mode: 'server' | 'manual', interruptResponse: boolean): void;
  disconnect(): void;
  reconnect(): void;
  answerTool(requestId: string, name: string, output: string): void;
  turnReport(report: TurnReportPayload): void;
  /** CLOCK_MONOTONIC µs, for extrapolating the playback position and timing barge-in. */
  nowUs(): number;
}
