import type { DspBackend, VoiceProcessor } from '@voxbus/dsp';
import type { AudioFrame } from '@voxbus/shared';
import { power } from './pcm.js';
import type { TimedChunk } from './chunk-assembler.js';
import { type Continuity, ContinuityTracker } from './continuity.js';
import { DelayEstimator, type DelayEstimate } from './delay-estimator.js';
import { EchoCoherence } from './echo-coherence.js';
import { type EchoFigures, EchoGate, type EchoVerdict, FAR_ACTIVE_POWER, MIC_FLOOR_POWER } from './echo-gate.js';
import type { GateOpeningSaid } from './echo-gate-types.js';
import { MonoStream } from './mono-stream.js';
import { PlacementDoubt } from './placement-doubt.js';
import { RecentChunks } from './recent-chunks.js';
import { RecentErle } from './recent-erle.js';
import { ReferenceCursor } from './reference-cursor.js';
import { ReferenceTrack } from './reference-track.js';

/**
 * The echo is placed this much after the start of the reference the canceller gets, so an
 * estimate a few ms long or short still leaves the echo inside the canceller's filter.
 */
const LEAD_MS = 10;
/**
 * The echo gate's leak check looks for the speaker's sound in what the canceller left within
 * this much (ms) of the reference's start: the echo's place (LEAD_MS) and 35 ms after it, where
 * a room's strong early reflections are (the virtual board's room leaked at 33-44 ms with the
 * reference placed right, and a check reaching 30 ms let that through as a voice, once in 20
 * replies with a core busy). Further back a person's voice lines up with the reply's too often
 * (the same synthetic voice on the virtual board: most barge-ins under 0.25 within 45 ms, but
 * 0.3-0.5 at 100-150 ms).
 */
const LEAK_CHECK_REACH_MS = LEAD_MS + 35;
/**
 * A found delay re-places the reference only when the echo would otherwise leave the canceller's
 * filter, arriving earlier than the reference it is given (less than a couple of ms of the lead
 * left), or the gate's leak check (more than 20 ms later: its early reflections then lie beyond
 * LEAK_CHECK_REACH_MS). In between, the filter already holds the echo wherever it is, and
 * re-placing only makes it learn the path again. A room's early reflection, nearly as loud as
 * the direct sound, made the estimate swing between 40 and 50 ms every few replies on the
 * virtual board; each swing, re-placed, left the canceller leaking for about a second and the
 * leaks were once in five replies taken for a voice. (Up to 40 ms later was once left alone, as
 * the filter still holds it: with a core busy an estimate 27 ms short placed the reference, the
 * estimates of the echo's true delay after it were not followed, and for two minutes the room's
 * reflections sat 50-70 ms after the reference's start, beyond the check: the canceller's leaks
 * there opened the gate 5 times over 20 replies.)
 */
const EARLIER_THAN_PLACED_MS = LEAD_MS - 2;
const LATER_THAN_PLACED_MS = 20;
/** How much of the signals (ms) each delay estimate correlates. */
const ESTIMATOR_WINDOW_MS = 1000;
/** With a voice over the speaker, a new delay moves the reference only when found this long (ms), within SAME_DELAY_MS. */
const PERSIST_OVER_VOICE_MS = 500;
const SAME_DELAY_MS = 4;
/** A new delay this far (ms) from the one in use is the echo path moving: what the gate learnt no longer holds. */
const RELEARN_AFTER_MOVE_MS = 20;
/**
 * How much of the speaker sounding (ms) the canceller's recent ERLE is the median over. While it
 * removes at least `convergedErleDb` there, the echo is inside its filter wherever the estimator
 * says it is: a delay found then is not followed (see cancellingWhereItIs).
 */
const RECENT_ERLE_MS = 1000;
/**
 * Only a move this small (ms) is kept from happening by a working canceller: a placement
 * further off leaves the echo's reflections beyond the leak check's reach and the gate blind,
 * however well the canceller's long filter copes (a first estimate 45 ms off, kept so, made the
 * assistant interrupt itself on the virtual board).
 */
const KEPT_MOVE_MAX_MS = LATER_THAN_PLACED_MS;
/** The echo gate's leak check: the residual of the last this many ms, against the reference up to LEAK_CHECK_REACH_MS earlier. */
const COHERENCE_WINDOW_MS = 30;
/**
 * Until the delay is found the echo may sit anywhere the timestamps did not account for: the
 * check looks further back then (it costs about 5 times more, and only on chunks the levels call
 * a voice).
 */
const COHERENCE_UNKNOWN_DELAY_LAG_MS = 150;
/** How many chunks before a gate opening its log line gives. */
const RECENT_CHUNKS_SAID = 12;

export interface EchoPathOptions {
  readonly rateHz: number;
  readonly chunkMs: number;
  readonly resampleQuality: number;
  readonly tailMs: number;
  readonly startDelayMs: number;
  readonly maxDelayMs: number;
  readonly doubleTalkMarginDb: number;
  readonly gateDb: number;
  readonly gateHoldMs: number;
  readonly minVoiceMs: number;
  readonly leakCorrelation: number;
  readonly convergedErleDb: number;
}

export interface EchoPathEvents {
  /** The estimated delay changed. */
  delayChanged(estimate: DelayEstimate): void;
  /** The reference's place jumped by `jumpMs` (the timestamps moved more than the cursor follows). */
  resynced(jumpMs: number): void;
  /** The reference stream restarted: frames of it never came (a sequence gap), its stamps jumped, or its format changed. */
  referenceGap(continuity: Continuity & { kind: 'gap' | 'restart' }): void;
  /** A delay was found that would have moved the reference, but the canceller still removes the echo where it is. */
  delayKept(found: DelayEstimate & { keptMs: number; recentErleDb: number }): void;
  /** The echo gate opened over the speaker's sound: a voice besides it, by these figures. */
  gateOpened(opening: GateOpeningSaid): void;
}

/**
 * Everything between the speaker's reference and the microphone: the reference laid on the
 * capture clock, the delay the signals show, a contiguous reference for each microphone
 * chunk, the canceller's first half, and the echo gate's verdict applied. Knows nothing of
 * MQTT; the chain calls it for every reference frame and every microphone chunk.
 */
export class EchoPath {
  private readonly track: ReferenceTrack;
  private readonly stream: MonoStream;
  private readonly continuity = new ContinuityTracker();
  private readonly cursor: ReferenceCursor;
  private readonly estimator: DelayEstimator;
  private readonly gate: EchoGate;
  private readonly coherence: EchoCoherence;
  private readonly recentErle: RecentErle;
  private readonly recentChunks: RecentChunks;
  private readonly aligned: Int16Array;
  private readonly unaligned: Int16Array;
  private readonly doubt: PlacementDoubt;
  private referenceMoves = 0;
  private doubtedChunks = 0;
  private delayMs: number;
  private estimated = false;
  /** Microphone time of the last chunk the gate heard a voice in over the speaker's sound, µs. */
  private lastDoubleTalkUs: number | undefined;
  /** A new delay found while a voice was in the estimator's window, and since when it keeps being found. */
  private pendingMove: { delayMs: number; sinceUs: number } | undefined;
  /** Microphone time since the reference was last re-placed (a new delay, a resync), ms. */
  private sinceMovedMs: number | null = null;

  constructor(
    backend: DspBackend,
    private readonly options: EchoPathOptions,
    private readonly events: EchoPathEvents,
  ) {
    const chunkSamples = (options.rateHz * options.chunkMs) / 1000;
    this.track = new ReferenceTrack(options.rateHz, Math.max(2, Math.ceil((options.maxDelayMs + 1500) / 1000)));
    this.stream = new MonoStream(backend, options.rateHz, options.resampleQuality, { mode: 'mix' });
    this.cursor = new ReferenceCursor(options.rateHz);
    this.estimator = new DelayEstimator(options.rateHz, options.maxDelayMs, ESTIMATOR_WINDOW_MS);
    this.gate = new EchoGate({
      tailMs: options.tailMs + options.maxDelayMs,
      doubleTalkMarginDb: options.doubleTalkMarginDb,
      attenuationDb: options.gateDb,
      holdMs: options.gateHoldMs,
      minVoiceMs: options.minVoiceMs,
      leakCorrelation: options.leakCorrelation,
      convergedErleDb: options.convergedErleDb,
      maxDelayMs: options.maxDelayMs,
    });
    this.coherence = new EchoCoherence(options.rateHz, COHERENCE_WINDOW_MS, COHERENCE_UNKNOWN_DELAY_LAG_MS);
    this.recentErle = new RecentErle(Math.round(RECENT_ERLE_MS / options.chunkMs));
    this.recentChunks = new RecentChunks(RECENT_CHUNKS_SAID, options.rateHz);
    this.aligned = new Int16Array(chunkSamples);
    this.unaligned = new Int16Array(chunkSamples);
    this.doubt = new PlacementDoubt(this.track, chunkSamples, options.chunkMs);
    this.delayMs = options.startDelayMs;
  }

  /** A frame of audio/played: what the speaker played, stamped with when it was heard. */
  played(frame: AudioFrame): void {
    const continuity = this.continuity.next(frame);
    const restarted = continuity.kind === 'gap' || continuity.kind === 'restart';
    if (restarted) {
      this.stream.reset();
      // The speaker's stream restarted: its frames are laid down from here by their own stamps,
      // and the delay estimator's window, which straddles both placements, is refilled before it
      // estimates again (with a core busy the played stream restarted every few seconds, 7-180 ms
      // later each time, and one window across a burst of them "found" the echo 10 ms early).
      // The canceller's recent ERLE is kept: the stamps carry the speaker's own delays (an
      // underrun, a reopened device), so the echo stays where it was against them, and were the
      // path to move, the canceller's leaks would bring that figure down within half a second.
      // (Forgetting it let the first estimate after each restart move the reference unchecked.)
      this.estimator.forgetWindow();
      this.events.referenceGap(continuity);
    }
    // A frame its stamp moved from where the stream's last one ended (the speaker's timeline jumped).
    const jumped = this.track.write(this.stream.push(frame)) !== 0 && !restarted;
    if (jumped) this.referenceMoves++;
    // Either way the reference laid from here may be off the sound for a while.
    if (restarted || jumped) this.doubt.speakerMoved(this.track.lastStart);
  }

  /**
   * The first half of one microphone chunk, in place: the reference placed for it, echo
   * cancelled, and what the canceller left judged and gated. Returns the gate's verdict.
   */
  cancel(chunk: TimedChunk, processor: VoiceProcessor, referenceMissing = false): EchoVerdict {
    const { samples } = chunk;
    const micPower = power(samples);
    const atTimestamp = this.track.indexAt(chunk.timeUs);
    // Only a reference already placed by a found delay can be re-placed (the first placement is no jump).
    const placedBefore = this.estimated;
    this.track.read(atTimestamp, this.unaligned);
    const estimate = this.estimator.push(samples, this.unaligned, !referenceMissing);
    if (this.sinceMovedMs !== null) this.sinceMovedMs += this.options.chunkMs;
    const delayMoved = estimate !== undefined && this.needsPlacing(estimate.delayMs) && !this.cancellingWhereItIs(estimate) && this.trusted(estimate.delayMs, chunk.timeUs);
    if (estimate !== undefined && delayMoved) {
      this.sinceMovedMs = 0;
      this.recentErle.reset();
      // The first estimate only places what was learnt on a guess; a later one far from it is the
      // path moving (a few ms is a clock drifting: the reference is only re-placed).
      if (this.estimated && Math.abs(estimate.delayMs - this.delayMs) >= RELEARN_AFTER_MOVE_MS) this.gate.relearn();
      else if (this.estimated) this.gate.replaced();
      this.delayMs = estimate.delayMs;
      this.estimated = true;
      this.events.delayChanged(estimate);
    }
    const leadMs = Math.max(0, this.delayMs - LEAD_MS);
    const resyncs = this.cursor.resyncs;
    // Where the stamp and the delay put the chunk's reference, and where the cursor reads it.
    const ideal = atTimestamp - Math.round((leadMs * this.options.rateHz) / 1000);
    const at = this.cursor.place(ideal, samples.length);
    // The reference jumped (the timestamps moved more than the cursor follows): the canceller settles.
    if (placedBefore && this.cursor.resyncs !== resyncs) {
      this.events.resynced((this.cursor.lastJump * 1000) / this.options.rateHz);
      this.gate.replaced();
      this.sinceMovedMs = 0;
    }
    // The microphone's own timeline restarted or jumped (not a delay found): its stamps may be off for a while.
    this.doubt.placed(this.cursor.resyncs !== resyncs && !delayMoved);
    const referencePower = this.track.read(at, this.aligned);
    processor.reverse(this.aligned);
    processor.cancel(samples, 0);
    this.coherence.push(this.aligned, samples);
    const residualPower = power(samples);
    this.recentChunks.add(micPower, residualPower, referencePower, at - ideal);
    this.doubt.cancelled(at, referencePower, micPower, residualPower);
    // A reference in doubt near the speaker's sound: the microphone's level is taken for the echo's
    // (one that never came may be a stall while a person talks: nothing is learnt from it). A
    // silent microphone holds neither, wherever the reference is: judged as ever, the gate learns
    // from it that the speaker is not heard (with a busy core's overruns, the doubt kept it from
    // learning so through the first reply, and a voice over it was gated).
    this.doubt.follow(referencePower, at, this.estimated);
    const doubted = !referenceMissing && micPower >= MIC_FLOOR_POWER && this.doubt.inDoubt(at, referencePower);
    if (doubted) this.doubtedChunks++;
    const verdict = referenceMissing || doubted ? this.gate.judgeWithoutReference(this.options.chunkMs, micPower, doubted) : this.gate.judge({ referencePower, micPower, residualPower, chunkMs: this.options.chunkMs }, () => this.coherence.correlation(this.estimated ? LEAK_CHECK_REACH_MS : COHERENCE_UNKNOWN_DELAY_LAG_MS));
    if (!referenceMissing && referencePower > FAR_ACTIVE_POWER && micPower > MIC_FLOOR_POWER) this.recentErle.add(micPower, residualPower);
    // A voice over the speaker: the estimator's window holds it for a while (see trusted).
    if (verdict.echo && verdict.nearEnd) this.lastDoubleTalkUs = chunk.timeUs;
    this.gate.apply(verdict, samples);
    const opening = this.gate.takeOpening();
    if (opening !== undefined) {
      // Where, up to the longest lag, the residual looks most like the reference: a leak the
      // check missed shows here at the echo's true place.
      const widest = this.coherence.peak();
      // And what the reference held there: a reference that read as silence while the microphone
      // heard the reply is told apart as never written (late, or a hole) or played silent.
      const reference = {
        aheadMs: Math.round((this.track.endUs - chunk.timeUs) / 1000),
        unwrittenPct: Math.round((100 * this.track.unwritten(at, samples.length)) / samples.length),
        writtenOffMs: Math.round((10_000 * this.track.lastOffSamples) / this.options.rateHz) / 10,
      };
      this.events.gateOpened({ ...opening, delayMs: this.estimated ? this.delayMs : null, sinceMovedMs: this.sinceMovedMs, echoLikeLagMs: widest.lagMs, echoLikeCorrelation: Math.round(widest.correlation * 100) / 100, reference, before: this.recentChunks.said() });
    }
    return verdict;
  }

  /**
   * Whether what the speaker played for the microphone chunk at `timeUs` is here (or none is
   * coming: the reference stopped arriving). Playback says what it played before it is heard,
   * so it normally is; a stalled playback process can say it late, and a chunk judged before its
   * reference came would take the reply's first echo for a room with the speaker quiet.
   */
  referenceReady(timeUs: number, nowUs: number, freshMs: number): boolean {
    if (!this.arriving(nowUs, freshMs)) return true;
    // The chunk's own span: the delay estimator reads it (the canceller's span ends earlier);
    // while the microphone's timeline settles, all the doubt looks at past the placed reference.
    const placedEndMs = this.options.chunkMs - Math.max(0, this.delayMs - LEAD_MS);
    return this.track.endUs >= timeUs + Math.max(this.options.chunkMs, placedEndMs + this.doubt.aheadMs) * 1000;
  }

  /**
   * Whether a new delay may move the reference. A person talking over the reply makes the
   * microphone's loudness follow their voice, and the envelopes can then line up at a lag the
   * echo does not have: on the virtual board, barge-ins found delays 15-30 ms off the echo's, and
   * re-placing the reference on one left the canceller leaking into the next reply. So while a
   * voice heard over the speaker is within the span the estimate looked at (its window and its
   * longest lag), the same delay must be found again and again for half a second: a moved speaker
   * keeps showing its new delay (and, unlearnt, sounds like a voice to the gate), a voice's
   * chance alignment does not last. The first placement is never held back (until then the delay
   * is only a guess).
   */
  private trusted(foundMs: number, timeUs: number): boolean {
    const voiceInWindow = this.estimated && this.lastDoubleTalkUs !== undefined && timeUs - this.lastDoubleTalkUs < (ESTIMATOR_WINDOW_MS + this.options.maxDelayMs) * 1000;
    if (!voiceInWindow) {
      this.pendingMove = undefined;
      return true;
    }
    const same = this.pendingMove !== undefined && Math.abs(this.pendingMove.delayMs - foundMs) <= SAME_DELAY_MS;
    this.pendingMove = { delayMs: foundMs, sinceUs: same ? (this.pendingMove as { sinceUs: number }).sinceUs : timeUs };
    return timeUs - this.pendingMove.sinceUs >= PERSIST_OVER_VOICE_MS * 1000;
  }

  /**
   * Whether the canceller still removes at least `convergedErleDb` of the echo where the reference
   * is placed now, and the delay found is near enough to it (KEPT_MOVE_MAX_MS) for the gate to
   * work where it is: the reference is then not moved, and the events are told. Such a canceller
   * has the echo inside its filter, so a delay that says otherwise is the estimator misled, not
   * the path moved: on the virtual board the estimate moved 2-7 times in 40 replies, 15-25 ms
   * off, mostly in the reply after a barge-in, and a move that re-placed a working canceller once
   * made the assistant interrupt itself. A path that really moved (a moved speaker, a device
   * reopened) leaves the canceller leaking at once: then it is followed.
   */
  private cancellingWhereItIs(estimate: DelayEstimate): boolean {
    if (!this.estimated || Math.abs(estimate.delayMs - this.delayMs) > KEPT_MOVE_MAX_MS) return false;
    const recentErleDb = this.recentErle.db;
    if (recentErleDb === undefined || recentErleDb < this.options.convergedErleDb) return false;
    this.events.delayKept({ ...estimate, keptMs: this.delayMs, recentErleDb: Math.round(recentErleDb * 10) / 10 });
    return true;
  }

  /** Whether a delay found must move the reference (always the first time: until then it is a guess). */
  private needsPlacing(foundMs: number): boolean {
    if (!this.estimated) return true;
    return foundMs < this.delayMs - EARLIER_THAN_PLACED_MS || foundMs > this.delayMs + LATER_THAN_PLACED_MS;
  }

  /**
   * The microphone's stream restarted: the next chunk places its reference afresh, and the delay
   * estimator's window, which straddles two timelines now, is refilled before it estimates again.
   */
  microphoneRestarted(): void {
    this.cursor.reset();
    this.doubt.restarted();
    this.recentErle.reset();
    this.estimator.forgetWindow();
  }

  /** Whether reference audio has reached the dsp within the last `withinMs`, at `nowUs`. */
  arriving(nowUs: number, withinMs: number): boolean {
    return this.track.endUs > nowUs - withinMs * 1000;
  }

  figures(): EchoFigures & { delayMs: number | null } {
    return { ...this.gate.figures(), delayMs: this.estimated ? this.delayMs : null };
  }

  /** How the reference has been placed: for the dsp's metrics. */
  get placement(): { resyncs: number; driftSteps: number; referenceMoves: number; doubtedChunks: number; settlingsProved: number; settlingsExpired: number; settlingsOvertaken: number } {
    const { proved, expired, overtaken } = this.doubt.speakerSettlings;
    return { resyncs: this.cursor.resyncs, driftSteps: this.cursor.driftSteps, referenceMoves: this.referenceMoves, doubtedChunks: this.doubtedChunks, settlingsProved: proved, settlingsExpired: expired, settlingsOvertaken: overtaken };
  }
}
