/** What the echo gate judges and says: one chunk's powers, its verdict, and its figures. */
import type { RecentChunksSaid } from './recent-chunks.js';

/** One chunk's powers (mean square, fraction of full scale²). */
export interface EchoChunk {
  /** The reference as the canceller was given it (aligned with the microphone, a little ahead of the echo). */
  readonly referencePower: number;
  /** The microphone before cancellation. */
  readonly micPower: number;
  /** What the canceller left. */
  readonly residualPower: number;
  readonly chunkMs: number;
}

export interface EchoVerdict {
  /** The speaker's sound may be in this chunk. */
  readonly echo: boolean;
  /** A voice other than the speaker's is in it (or no echo could be: the gate is open). */
  readonly nearEnd: boolean;
}

/** Why the gate opened over the speaker's sound: the figures of the chunk that opened it, dB. */
export interface GateOpening {
  readonly speakerSounds: boolean;
  /** What the canceller left over the echo's expected level, and the learnt worst of it. */
  readonly leakDb: number;
  readonly worstLeakDb: number | null;
  readonly micDbfs: number;
  readonly residualDbfs: number;
  readonly referenceDbfs: number;
  readonly erleDb: number | null;
  readonly erlDb: number | null;
}

/**
 * A gate opening as the echo path tells it: the gate's figures, the delay in use and how long
 * since the reference was re-placed; the lag (ms after the reference's start, up to the longest
 * the echo may have) where what the canceller left looked most like the reference, and how much
 * (a leak the check missed shows there at its own lag, well over 0.25; a voice, by chance, mostly
 * under); how far the reference reached past the chunk, how much of it was never written and how
 * far it was laid from its stamps; and the chunks that led to it.
 */
export type GateOpeningSaid = GateOpening & {
  readonly delayMs: number | null;
  readonly sinceMovedMs: number | null;
  readonly echoLikeLagMs: number;
  readonly echoLikeCorrelation: number;
  readonly reference: { readonly aheadMs: number; readonly unwrittenPct: number; readonly writtenOffMs: number };
  readonly before: RecentChunksSaid;
};

export interface EchoFigures {
  /** The canceller removes at least `convergedErleDb` (lost again 6 dB below, after 2 s there), or there is no echo to remove. */
  readonly converged: boolean;
  /** Echo removed by the canceller, the median over echo-only audio, dB (null until learnt). */
  readonly erleDb: number | null;
  /** Speaker to microphone loss, dB (null until learnt). */
  readonly erlDb: number | null;
}
