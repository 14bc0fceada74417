import type { Payload } from '@voxbus/shared';

export type Platform = NonNullable<Payload<'telephony-bridge.state'>['call']>['platform'];

/** What a call's protocol needs of its WebSocket. */
export interface StreamSocket {
  sendText(text: string): void;
  sendBinary(data: Buffer): void;
}

/** What a call's protocol reports as it reads the platform's messages. */
export interface StreamEvents {
  /** The call's audio rate, once known (FreeSWITCH: at once, from the URL; ACS: its AudioMetadata). */
  format(sampleRateHz: number): void;
  /** Caller audio at the call's rate, mono s16le. */
  audio(pcm: Buffer): void;
  /** A message the bridge cannot use: counted and said, and the call goes on. */
  problem(code: ProblemCode, message: string): void;
}

/** The protocol errors a stream can make, each counted under `protocol.<code>` in the metrics. */
export const PROBLEM_CODES = [
  'binary-not-json',
  'text-not-json',
  'malformed',
  'unknown-kind',
  'out-of-order',
  'bad-format',
  'format-changed',
  'bad-audio',
] as const;
export type ProblemCode = (typeof PROBLEM_CODES)[number];

/** One platform's side of a call: reads its messages, writes the reply and the flush its way. */
export interface CallStream {
  readonly platform: Platform;
  readonly callId: string;
  receive(data: Buffer, isBinary: boolean): void;
  /** Reply audio at the call's rate, mono s16le. */
  sendAudio(pcm: Buffer): void;
  /** Drop whatever reply the platform still holds (barge-in). */
  clear(): void;
}
