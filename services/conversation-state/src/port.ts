import type { Payload } from '@voxbus/shared';
import type { EarconName } from './machine-types.js';

export type TurnReportPayload = Payload<'conversation.event.turn'>;

/** What the conversation can make the other services do. main.ts implements it on the bus; tests record it. */
export interface ConversationPort {
  micMuted(muted: boolean): void;
  speakerMuted(muted: boolean): void;
  flushPlayback(): void;
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
