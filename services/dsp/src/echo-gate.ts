import type { EchoChunk, EchoFigures, EchoVerdict, GateOpening } from './echo-gate-types.js';
import { QuantileTracker } from './quantile.js';

export type { EchoChunk, EchoFigures, EchoVerdict, GateOpening } from './echo-gate-types.js';

/** Reference louder than this (mean square; -50 dBFS) is the speaker sounding. */
export const FAR_ACTIVE_POWER = 1e-5;
/** Microphone quieter than this (-65 dBFS) holds nothing worth judging. */
export const MIC_FLOOR_POWER = 10 ** -6.5;
/** Residual quieter than this (-55 dBFS) is no voice, whatever the ratios say. */
const RESIDUAL_FLOOR_POWER = 10 ** -5.5;
const TINY = 1e-12;
/**
 * Quantile tracking step, dB per chunk (the 90th percentile then falls 5 dB a second as the
 * canceller improves, and rises 45; a larger step made it too jumpy to tell a voice by), and the
 * slower one while a voice may be in the mix.
 */
const LEARN_STEP_DB = 0.5;
const SLOW_LEARN_STEP_DB = 0.05;

/** Echo-only audio (10 ms chunks) the figures need before they count. */
const LEARN_CHUNKS = 100;
/**
 * "Near-end" that goes on this long while the speaker plays is more likely the canceller having
 * lost the echo path (a moved speaker) than a person talking over a reply that never stops:
 * learn from it at the full rate again.
 */
const STUCK_NEAR_END_MS = 1500;
/**
 * The echo at the microphone dies away after the speaker stops at least this fast (dB per 10 ms
 * chunk: 50 dB a second, a reverberation time of 1.2 s, slower than most rooms). While the
 * speaker is quiet (after a reply, between words) the canceller removes little of the room's
 * tail, which outlasts its filter: a voice there must be this much louder (dB) than the tail.
 */
const TAIL_DECAY_DB_PER_CHUNK = 0.5;
const TAIL_MARGIN_DB = 6;
const RESIDUAL_SMOOTHING = 0.2;
/**
 * The canceller's worst usual leak (dB under the echo's expected level) is counted as no less than
 * this. On the virtual board, whose echo path is exactly linear, it removes 80-90 dB of echo-only
 * chunks and the learnt figure fell to -82 dB: on CI a reply's first 200 ms, cancelled 30 dB
 * (the residual at -54 dBFS, 32 dB under the echo), then passed for a voice and the assistant
 * interrupted itself. A voice over the reply that the gate must let through is heard within
 * 20 dB of the echo (this and the margin); in a room the learnt figure lies above it.
 */
const USUAL_LEAK_FLOOR_DB = -30;
/** How far above the reference's level over the ERL one chunk of echo may be (the ERL is an average; a room's reflections add up). */
const ECHO_SPREAD_DB = 6;
/**
 * A microphone this far (dB, the power ratio) under the speaker does not hear it (a headset, a
 * speaker across the room): there is no echo to gate, and full-duplex is safe. Left again only
 * below the second figure (the mean of dB), and slowly: a person talking over the speaker lowers
 * the measure while it lasts. (Leaving when an echo delay is found instead was tried: the
 * estimator now and then "found" one in a voice over the reply, and a barge-in was gated.)
 */
const NO_ECHO_ERL_DB = 40;
/**
 * No echo is decided on this many chunks of the speaker sounding, once the first one's echo would
 * have come (the longest delay looked for, and this margin, ms). (A fixed second of sounding
 * chunks, with a busy core's late references, came after a voice 1.5-2 s into the first reply.)
 */
const NO_ECHO_MIN_CHUNKS = 30;
const NO_ECHO_MARGIN_MS = 100;
const ECHO_AGAIN_ERL_DB = 30;
const ERL_SMOOTHING = 0.01;
const NO_ECHO_ERL_SMOOTHING = 0.002;
/**
 * After the reference is re-placed (a new delay a few ms from the last) the canceller's filter is
 * off by as much until it adapts again, and what it leaves of the echo jumps: for this long (ms
 * of the speaker sounding) that is not taken for a voice. Measured on the virtual board (40 ms,
 * -6 dB, a room's tail): leaks the gate took for a voice 0.9-1 s after a 10 ms re-placement.
 * Learning goes on (the leaks it then sees make the gate warier for a while, not bolder).
 */
const SETTLE_MS = 1500;
/** Convergence is lost only this far below the threshold, and only after this long below it. */
const LOSE_MARGIN_DB = 6;
const LOSE_AFTER_MS = 2000;

export interface EchoGateOptions {
  /** How long after the reference sounds its echo may still be in the microphone (delay error and room tail), ms. */
  readonly tailMs: number;
  /** How far above the echo's usual residual (its 90th percentile) a chunk must be to hold a voice, dB. */
  readonly doubleTalkMarginDb: number;
  /** The gate's attenuation of echo-only audio, dB. */
  readonly attenuationDb: number;
  /** How long the gate stays open after the last chunk that held a voice, ms. */
  readonly holdMs: number;
  /** A voice must be heard this long in a row to open the gate, ms (the canceller's failures are mostly single chunks). */
  readonly minVoiceMs: number;
  /** What the canceller left correlates at least this much (0–1) with the reference: it is the speaker's sound, not a voice. */
  readonly leakCorrelation: number;
  /** ERLE (dB, the median over echo-only audio) for the canceller to count as converged. */
  readonly convergedErleDb: number;
  /** The longest echo delay looked for, ms. */
  readonly maxDelayMs: number;
}

/**
 * The echo-aware decision between the canceller and the rest of the chain: per 10 ms chunk, is
 * there echo, and is there a voice besides it? Echo-only audio is then attenuated, so the model
 * and the VAD never hear what the canceller could not remove; a voice opens the gate at once and
 * holds it open between words.
 *
 * It follows the echo's level at the microphone: the reference over the speaker-to-microphone
 * loss, or the microphone itself while only echo is heard, dying away no faster than a room's
 * tail. A voice is what that cannot explain:
 * - while the speaker sounds, the canceller removes the echo; what it leaves of a voice is far
 *   above what it leaves of echo alone (learnt: the 90th percentile over echo-only chunks), and
 *   does not correlate with the reference (asked of `coherence` only then, being the costly part);
 * - while the speaker is quiet, the microphone rises above the dying tail.
 *
 * Until it has learnt (and while the canceller is not converged the margin is out of reach) echo
 * closes the gate, as half-duplex would. The figures it reports are measured here, the same way
 * for every engine: `erleDb` and convergence are what the dsp says and what `auto` mode uses.
 */
export class EchoGate {
  private echoLeftMs = 0;
  /** How long the canceller is still settling after its reference was re-placed, ms. */
  private settleLeftMs = 0;
  private holdLeftMs = 0;
  private nearEndRunMs = 0;
  /** The echo's level at the microphone (power), as far as it can be told. */
  private echoLevel = 0;
  /** What the canceller has lately been leaving of echo alone (power): the room's tail outlasts its filter. */
  private residualLevel = 0;
  /** Residual over echo level in echo-only chunks, dB: the canceller's worst usual leak. */
  private readonly leak = new QuantileTracker(0.9, LEARN_CHUNKS);
  /** Microphone over residual in echo-only chunks, dB: the ERLE. */
  private readonly erle = new QuantileTracker(0.5, LEARN_CHUNKS);
  private erlDb: number | null = null;
  private erlChunks = 0;
  /** Since the first chunk the ERL was learnt from, ms. */
  private erlSinceMs: number | null = null;
  /**
   * The reference's and the microphone's mean power over the chunks the speaker sounded in
   * (cumulative at first, then over about the last second): their ratio is the ERL as power
   * says it, which the quiet chunks of speech do not drag down as they do a mean of dB.
   */
  private referenceMean = 0;
  private micMean = 0;
  /** The microphone does not hear the speaker at all. */
  private noEcho = false;
  private converged = false;
  /** How long the ERLE has been below the losing threshold while converged, ms. */
  private belowMs = 0;
  private gain = 1;
  private readonly closedGain: number;
  private opened: GateOpening | undefined;

  constructor(private readonly options: EchoGateOptions) {
    this.closedGain = 10 ** (-options.attenuationDb / 20);
  }

  /** Judges one chunk (before it is gated). */
  judge(chunk: EchoChunk, coherence: () => number): EchoVerdict {
    const { options } = this;
    const speakerSounds = chunk.referencePower > FAR_ACTIVE_POWER;
    if (this.erlSinceMs !== null) this.erlSinceMs += chunk.chunkMs;
    this.echoLeftMs = speakerSounds ? options.tailMs : Math.max(0, this.echoLeftMs - chunk.chunkMs);
    this.holdLeftMs = Math.max(0, this.holdLeftMs - chunk.chunkMs);
    if (this.echoLeftMs === 0) {
      this.echoLevel = 0;
      this.residualLevel = 0;
      this.nearEndRunMs = 0;
      return { echo: false, nearEnd: true };
    }
    if (this.noEcho) {
      // Followed still, so an echo that appears (the speaker moved) is noticed.
      if (speakerSounds) this.learnErl(chunk);
      return { echo: false, nearEnd: true };
    }
    // Until the ERL is learnt, the echo is taken to be as loud as the reference.
    const direct = speakerSounds ? chunk.referencePower / 10 ** ((this.erlDb ?? 0) / 10) : 0;
    const decay = 10 ** (-TAIL_DECAY_DB_PER_CHUNK / 10);
    const expected = Math.max(this.echoLevel * decay, direct);
    const residualTail = this.residualLevel * decay;
    if (chunk.micPower < MIC_FLOOR_POWER) {
      this.echoLevel = expected;
      this.residualLevel = residualTail;
      // Silence while the speaker sounds is what a microphone that does not hear it reports.
      if (speakerSounds && this.holdLeftMs === 0) this.learnErl(chunk);
      return { echo: true, nearEnd: this.holdLeftMs > 0 };
    }
    const settling = speakerSounds && this.settleLeftMs > 0;
    if (settling) this.settleLeftMs = Math.max(0, this.settleLeftMs - chunk.chunkMs);
    const leakDb = 10 * Math.log10((chunk.residualPower + TINY) / (expected + TINY));
    const worstLeakDb = this.leak.value;
    const unexplained = speakerSounds
      ? worstLeakDb !== undefined && leakDb > Math.max(worstLeakDb, USUAL_LEAK_FLOOR_DB) + options.doubleTalkMarginDb
      : this.erle.value !== undefined && chunk.micPower > expected * 10 ** (TAIL_MARGIN_DB / 10);
    // Unexplained, above what echo alone has lately left (the room's tail) and loud enough to be
    // a voice, unless it is the speaker's own sound let through.
    const voice =
      !settling &&
      unexplained &&
      chunk.residualPower > Math.max(RESIDUAL_FLOOR_POWER, residualTail * 10 ** (TAIL_MARGIN_DB / 10)) &&
      coherence() < options.leakCorrelation;
    this.nearEndRunMs = voice ? this.nearEndRunMs + chunk.chunkMs : 0;
    if (voice && this.nearEndRunMs >= options.minVoiceMs) {
      if (this.holdLeftMs === 0) {
        const { erleDb, erlDb } = this.figures();
        this.opened = {
          speakerSounds,
          leakDb: round1(leakDb),
          worstLeakDb: worstLeakDb === undefined ? null : round1(worstLeakDb),
          micDbfs: dbfs(chunk.micPower),
          residualDbfs: dbfs(chunk.residualPower),
          referenceDbfs: dbfs(chunk.referencePower),
          erleDb,
          erlDb,
        };
      }
      this.holdLeftMs = options.holdMs;
    }
    const mayHoldVoice = voice || this.holdLeftMs > 0;
    // The microphone raises the echo's level only as far as the reference can explain (a voice
    // must not, or the next chunk of it would be taken for echo).
    this.echoLevel = mayHoldVoice ? expected : Math.max(expected, Math.min(chunk.micPower, direct * 10 ** (ECHO_SPREAD_DB / 10)));
    // Averaged (over about 50 ms), so one chunk the canceller missed does not raise it for long.
    this.residualLevel = mayHoldVoice ? residualTail : this.residualLevel + RESIDUAL_SMOOTHING * (chunk.residualPower - this.residualLevel);
    if (speakerSounds) this.learn(chunk, leakDb, mayHoldVoice && this.nearEndRunMs < STUCK_NEAR_END_MS ? SLOW_LEARN_STEP_DB : LEARN_STEP_DB, mayHoldVoice);
    return { echo: true, nearEnd: this.holdLeftMs > 0 };
  }

  /**
   * A chunk whose reference never came in time (playback stalled), or may be misplaced (the
   * microphone's timeline settling): the speaker may be sounding, and nothing says how loud. It
   * is taken for echo (a voice may be missed for a stall; the assistant must not hear itself as
   * one) and nothing is learnt from it, but the echo's level: the microphone's (`doubted`: the
   * speaker sounded near; a missing one: within the echo's window). (Without it the first chunk
   * after a misplaced one, its reference silent, found the echo's expected level at nothing and
   * the reply's echo "a voice" 100 dB over it, on the virtual board with a core busy.)
   */
  judgeWithoutReference(chunkMs: number, micPower: number, doubted: boolean): EchoVerdict {
    if (this.erlSinceMs !== null) this.erlSinceMs += chunkMs;
    this.holdLeftMs = Math.max(0, this.holdLeftMs - chunkMs);
    if (this.noEcho) return { echo: false, nearEnd: true };
    // A reference that never came while the speaker's echo may still be heard keeps the echo's
    // level too (the next chunks' reference may be silence where the microphone hears the reply).
    const inEchoWindow = doubted || this.echoLeftMs > 0;
    this.echoLeftMs = this.options.tailMs;
    this.nearEndRunMs = 0;
    if (this.holdLeftMs === 0 && inEchoWindow) this.echoLevel = Math.max(this.echoLevel, micPower);
    return { echo: true, nearEnd: this.holdLeftMs > 0 };
  }

  /** Applies the verdict to the chunk in place: echo-only audio is attenuated, with a ramp across the chunk so nothing clicks. */
  apply(verdict: EchoVerdict, samples: Int16Array): void {
    const target = verdict.echo && !verdict.nearEnd ? this.closedGain : 1;
    const from = this.gain;
    this.gain = target;
    if (from === 1 && target === 1) return;
    const step = (target - from) / samples.length;
    for (let i = 0; i < samples.length; i++) samples[i] = Math.round((samples[i] as number) * (from + step * (i + 1)));
  }

  /**
   * The echo path moved (a new delay was found: the speaker moved, the playback device was
   * reopened with another buffer): what was learnt of the canceller's leaks no longer holds.
   * Until it is learnt again echo closes the gate, and the canceller is not converged.
   */
  relearn(): void {
    this.leak.reset();
    this.erle.reset();
    this.converged = false;
    this.belowMs = 0;
    this.echoLevel = 0;
    this.residualLevel = 0;
  }

  /** The reference was re-placed by a few ms: the canceller settles before a voice can be told from its leaks again. */
  replaced(): void {
    this.settleLeftMs = SETTLE_MS;
  }

  /** The figures of the chunk that last opened the gate over echo, once (undefined if it has not opened since). */
  takeOpening(): GateOpening | undefined {
    const opened = this.opened;
    this.opened = undefined;
    return opened;
  }

  figures(): EchoFigures {
    const erle = this.erle.value;
    return { converged: this.converged, erleDb: erle === undefined ? null : round1(erle), erlDb: this.erlDb === null ? null : round1(this.erlDb) };
  }

  /** Speaker over microphone, the microphone counted at no less than its floor. */
  private learnErl(chunk: EchoChunk): void {
    const micPower = Math.max(chunk.micPower, MIC_FLOOR_POWER);
    const erl = 10 * Math.log10((chunk.referencePower + TINY) / micPower);
    this.erlDb = this.erlDb === null ? erl : this.erlDb + (this.noEcho ? NO_ECHO_ERL_SMOOTHING : ERL_SMOOTHING) * (erl - this.erlDb);
    const weight = Math.max(1 / ++this.erlChunks, ERL_SMOOTHING);
    this.erlSinceMs ??= 0;
    this.referenceMean += weight * (chunk.referencePower - this.referenceMean);
    this.micMean += weight * (micPower - this.micMean);
    // Only once the echo of the first sound would have come, so an echo that has not arrived yet
    // is not taken for none.
    if (this.erlChunks < NO_ECHO_MIN_CHUNKS || this.erlSinceMs < this.options.maxDelayMs + NO_ECHO_MARGIN_MS) return;
    const was = this.noEcho;
    if (this.noEcho) {
      this.noEcho = this.erlDb >= ECHO_AGAIN_ERL_DB;
    } else {
      const powerErlDb = 10 * Math.log10((this.referenceMean + TINY) / this.micMean);
      this.noEcho = powerErlDb >= NO_ECHO_ERL_DB;
      if (this.noEcho) this.erlDb = Math.max(this.erlDb, powerErlDb);
    }
    if (this.noEcho !== was) {
      this.converged = this.noEcho || (this.erle.value ?? 0) >= this.options.convergedErleDb;
      this.belowMs = 0;
    }
  }

  private learn(chunk: EchoChunk, leakDb: number, stepDb: number, mayHoldVoice: boolean): void {
    if (!mayHoldVoice) this.learnErl(chunk);
    this.leak.add(leakDb, stepDb);
    this.erle.add(10 * Math.log10((chunk.micPower + TINY) / (chunk.residualPower + TINY)), stepDb);
    const erle = this.erle.value;
    if (erle === undefined) return;
    if (!this.converged) {
      this.converged = erle >= this.options.convergedErleDb;
      this.belowMs = 0;
    } else {
      this.belowMs = erle < this.options.convergedErleDb - LOSE_MARGIN_DB ? this.belowMs + chunk.chunkMs : 0;
      if (this.belowMs >= LOSE_AFTER_MS) this.converged = false;
    }
  }
}

function dbfs(power: number): number {
  return round1(10 * Math.log10(power + TINY));
}

function round1(value: number): number {
  return Math.round(value * 10) / 10;
}
