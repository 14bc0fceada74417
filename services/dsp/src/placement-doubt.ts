import { FAR_ACTIVE_POWER, MIC_FLOOR_POWER } from './echo-gate.js';
import type { ReferenceTrack } from './reference-track.js';

/**
 * After the microphone's timeline restarted (an overrun: frequent with a core busy) or jumped,
 * its stamps may be tens of ms off for a while (the first period's stamp anchors it and is late
 * on a busy machine; earlier ones move it back as they come): on the virtual board the reference
 * read for a chunk 100 ms after a restart was silence while the microphone heard the reply's
 * echo, and the gate took it for a voice. The speaker's timeline likewise: its stamps jump (the
 * pulse plugin's delay report) while the sound goes on where it was. For this long (ms) after
 * either a chunk is in doubt whenever the speaker sounded within SPAN_MS either side of where
 * the stamps put it. (On a fresh clone's CI the speaker's timeline restarted 12 times in the
 * first 10 s, and a reply's first echo passed to the model at the microphone's level, its
 * reference read as silence: a chain test with the stamps 60 ms late at a reply's start does.)
 */
const SETTLING_MS = 500;
const SPAN_MS = 150;
/**
 * The speaker's timeline settling is over as soon as the reference laid since it moved proves
 * right: the canceller removes at least CONFIRM_CANCEL_DB of the microphone in CONFIRM_CHUNKS
 * chunks in a row with the speaker sounding (a misplaced reference removes next to nothing). A
 * playback underrunning every 200 ms restarts the timeline as often, and a doubt waiting out its
 * 500 ms after each learnt nothing: on CI, the canceller fresh after the dsp restarted, auto mode
 * never went full-duplex over a 120 ms, -12 dB path (the speaker's timeline restarted 20 times in
 * 4 s on this machine, 303 chunks doubted). Not the microphone's: its stamps go on moving back
 * while it settles.
 */
const CONFIRM_CANCEL_DB = 20;
const CONFIRM_CHUNKS = 3;
/**
 * A reply's first sound may reach the microphone up to this much (ms) before its stamps and the
 * delay found say, with the speaker quiet at least QUIET_BEFORE_MS before it (a reply starting,
 * not the pause between two sentences of one: a voice over the reply there must not be taken for
 * echo): such a chunk, its placed reference silent and the speaker sounding just after, is in
 * doubt too. (On the virtual board, forced full-duplex, once in 40 turns: the gate opened on the
 * first 30 ms of a reply's echo, at -39 dBFS, its reference read as written silence 98 ms short
 * of its end, the delay found 9 s before and never moved, no overrun; the model's VAD took it
 * for speech.)
 */
const EARLY_ONSET_MS = 30;
const QUIET_BEFORE_MS = 400;
/**
 * A reply starting after the speaker was quiet this long (ms; a turn, not a pause between two
 * sentences) is in doubt as after a move of the speaker's timeline: until the canceller proves
 * its placement (CONFIRM_CHUNKS chunks, CONFIRM_CANCEL_DB removed) or for SETTLING_MS at most.
 * The speaker's stamps may be off at a reply's start with nothing moved: on the virtual board
 * with a core busy, a reply's echo came 20 ms before its reference 77 s after the delay was
 * found, no restart near; the canceller removed 9 dB of its first chunk and added to the next
 * two (residual -33 dBFS over a microphone of -38), and the gate took that for a voice: the
 * assistant interrupted itself. A well placed reply is proved within its first 30-40 ms.
 */
const REPLY_QUIET_MS = 1000;

/**
 * Whether the reference placed for a microphone chunk can be trusted to say what the speaker
 * played when the chunk's echo left it. When it cannot, the echo path takes the chunk for echo:
 * the assistant must not hear itself as a voice. Only near the speaker's sound: with it quiet, a
 * person talking must be heard. (A chunk over a hole in a running reference was once doubted
 * too, whatever was near: the Python playback's reference, its stamps slewing, can leave holes
 * while it plays silence, and on a fresh clone's CI a person's question was split into two turns,
 * the dsp's own VAD stopping mid-question: most likely that rule gating it.)
 */
export class PlacementDoubt {
  /** The reference around a chunk while the microphone's timeline settles (SPAN_MS either side). */
  private readonly around: Int16Array;
  private readonly spanSamples: number;
  /** How long the microphone's timeline, and the speaker's, are still settling, ms. */
  private micSettlingLeftMs = 0;
  private speakerSettlingLeftMs = 0;
  /** The reference's sample index from which it was laid since the speaker's timeline last moved. */
  private speakerMovedAt = 0;
  /** Chunks in a row, their reference all laid since it moved, that the canceller proved right. */
  private confirmedChunks = 0;
  /** The speaker's settling is a reply's start, not its timeline moved: nothing need be waited for (see aheadMs). */
  private replyStart = false;
  /** A chunk was placed before (kept across the microphone's restarts: the first placement is no jump). */
  private placedBefore = false;
  /** The microphone's stream restarted and no chunk has been placed since. */
  private restartPending = false;
  /** The reference just after a chunk's (EARLY_ONSET_MS), and how long the placed reference has been silent, ms (up to the chunk, and through it). */
  private readonly justAfter: Int16Array;
  private quietBeforeMs = 0;
  private quietMs = 0;
  /** How the speaker's settlings ended: proved by the canceller, run out, or overtaken by the next move (for the dsp's metrics). */
  readonly speakerSettlings = { proved: 0, expired: 0, overtaken: 0 };

  constructor(
    private readonly track: ReferenceTrack,
    private readonly chunkSamples: number,
    private readonly chunkMs: number,
  ) {
    this.spanSamples = Math.round((SPAN_MS * track.rateHz) / 1000);
    this.around = new Int16Array(chunkSamples + 2 * this.spanSamples);
    this.justAfter = new Int16Array(Math.round((EARLY_ONSET_MS * track.rateHz) / 1000));
  }

  /** Once per chunk, as it is placed: `timelineMoved`, the microphone's own timeline restarted or jumped (not a delay found). */
  placed(timelineMoved: boolean): void {
    if (timelineMoved && this.placedBefore) this.micSettlingLeftMs = SETTLING_MS;
    else this.micSettlingLeftMs = Math.max(0, this.micSettlingLeftMs - this.chunkMs);
    if (this.speakerSettlingLeftMs > 0 && this.speakerSettlingLeftMs <= this.chunkMs) this.speakerSettlings.expired++;
    this.speakerSettlingLeftMs = Math.max(0, this.speakerSettlingLeftMs - this.chunkMs);
    this.placedBefore = true;
    this.restartPending = false;
  }

  /**
   * The speaker's timeline restarted or jumped (not its first frame): the reference laid from
   * sample index `fromIndex` on may be off the sound.
   */
  speakerMoved(fromIndex: number): void {
    if (!this.placedBefore) return;
    this.settleSpeaker(fromIndex, false);
  }

  private settleSpeaker(fromIndex: number, replyStart: boolean): void {
    if (this.speakerSettlingLeftMs > 0) this.speakerSettlings.overtaken++;
    this.speakerSettlingLeftMs = SETTLING_MS;
    this.speakerMovedAt = fromIndex;
    this.confirmedChunks = 0;
    this.replyStart = replyStart;
  }

  /**
   * Once per chunk, after the canceller: what it removed of the microphone (`micPower` to
   * `residualPower`) with the chunk's reference placed at `at` reading `referencePower`. Enough
   * of it, on the reference laid since the speaker's timeline moved, ends that settling.
   */
  cancelled(at: number, referencePower: number, micPower: number, residualPower: number): void {
    if (this.speakerSettlingLeftMs === 0 || at < this.speakerMovedAt || referencePower <= FAR_ACTIVE_POWER || micPower < MIC_FLOOR_POWER) return;
    const removedDb = 10 * Math.log10(micPower / Math.max(residualPower, Number.MIN_VALUE));
    this.confirmedChunks = removedDb >= CONFIRM_CANCEL_DB ? this.confirmedChunks + 1 : 0;
    if (this.confirmedChunks < CONFIRM_CHUNKS) return;
    this.speakerSettlingLeftMs = 0;
    this.speakerSettlings.proved++;
  }

  private get settling(): boolean {
    return this.micSettlingLeftMs > 0 || this.speakerSettlingLeftMs > 0;
  }

  /** The microphone's stream restarted: its next chunk starts the settling (see `aheadMs`). */
  restarted(): void {
    this.restartPending = this.placedBefore;
  }

  /**
   * How much of the reference (ms) past the end of a chunk's placed reference must have arrived
   * before the chunk is judged. While the timeline settles, all that the doubt looks at: a
   * reference that has not arrived reads as silence, and on the virtual board with a core busy
   * the reference reached only 12 ms past a chunk whose echo was the reply's first sound, placed
   * beyond it: the doubt saw silence, and the echo was taken for a voice. It costs that chunk's
   * wait (about 100 ms more latency, after an overrun only). Otherwise the look for a reply's
   * early onset (the reference normally reaches 50-60 ms past the chunk: no wait).
   */
  get aheadMs(): number {
    // A reply's start is in doubt by the sound at the chunk itself: the reference ahead adds nothing.
    const speakerMoved = this.speakerSettlingLeftMs > 0 && !this.replyStart;
    return this.micSettlingLeftMs > 0 || speakerMoved || this.restartPending ? SPAN_MS : EARLY_ONSET_MS;
  }

  /**
   * Once per chunk, whether or not it is asked about: what its reference placed at `at` read
   * (`referencePower`), for how long the speaker has been quiet. `replyStarts`: a reply's start
   * is doubted (once the echo's delay was found: before, nothing could prove its placement).
   */
  follow(referencePower: number, at: number, replyStarts: boolean): void {
    const sounds = referencePower > FAR_ACTIVE_POWER;
    if (sounds && replyStarts && this.quietMs >= REPLY_QUIET_MS && this.speakerSettlingLeftMs === 0) this.settleSpeaker(at, true);
    this.quietBeforeMs = this.quietMs;
    this.quietMs = sounds ? 0 : this.quietMs + this.chunkMs;
  }

  /**
   * Whether nothing says what the speaker played for the chunk whose reference is placed at `at`
   * (`referencePower`, what it read there, given to `follow` first): the microphone's timeline is
   * settling and the speaker sounded near, or the speaker starts to sound just after it after a
   * quiet. Asked only of chunks it matters for: it reads up to 310 ms of reference.
   */
  inDoubt(at: number, referencePower: number): boolean {
    if (this.settling) return this.track.read(at - this.spanSamples, this.around) > FAR_ACTIVE_POWER / 10;
    return this.quietBeforeMs >= QUIET_BEFORE_MS && referencePower <= FAR_ACTIVE_POWER && this.track.read(at + this.chunkSamples, this.justAfter) > FAR_ACTIVE_POWER;
  }
}
