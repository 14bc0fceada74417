/**
 * Where a speaker's sound actually ended, for the VAD's end of speech. The per-chunk voice
 * decision holds on after the voice stops: WebRTC's VAD has a built-in hangover of 80–140 ms
 * (8–14 frames of 10 ms at its gentler modes), so counting the end-of-turn silence from its first
 * "no voice" made every local turn wait that much longer than the silence asked for (offline, on
 * bench:e2e's phrases: 112–119 ms each). This follows the chunks that are quiet by their energy
 * (as loud as the room was between utterances, or far below the utterance's loudest) so the
 * silence can be counted from where the quiet began. It never reaches back over a chunk that
 * was not quiet: a person's last weak sound stands out of the room by more than that.
 */

/** Up to this over the room's mean energy a chunk is quiet (6 dB). */
const ROOM_MARGIN = 4;
/** This far below the utterance's loudest chunk a chunk is quiet whatever the room (40 dB). */
const BELOW_PEAK = 1e-4;
/** The room's energy is a running mean over about this long of the chunks without a voice. */
const ROOM_AVERAGE_MS = 200;

export class QuietTail {
  /** Mean energy of the chunks without a voice outside utterances; undefined until one came. */
  private roomEnergy: number | undefined;
  private peakEnergy = 0;
  private quietSinceUs: number | undefined;
  private readonly roomWeight: number;

  constructor(chunkMs: number) {
    this.roomWeight = Math.min(1, chunkMs / ROOM_AVERAGE_MS);
  }

  /** A new utterance: its loudest chunk is learnt afresh. */
  startUtterance(): void {
    this.peakEnergy = 0;
    this.quietSinceUs = undefined;
  }

  /**
   * One chunk's energy (mean square) at `timeUs`; whether it is inside an utterance, and whether
   * the voice decision heard a voice in it (outside utterances, chunks without one are the room).
   */
  push(energy: number, timeUs: number, inUtterance: boolean, voice: boolean): void {
    if (!inUtterance) {
      if (!voice) this.roomEnergy = this.roomEnergy === undefined ? energy : this.roomEnergy + (energy - this.roomEnergy) * this.roomWeight;
      this.quietSinceUs = undefined;
      return;
    }
    this.peakEnergy = Math.max(this.peakEnergy, energy);
    const quiet = energy <= (this.roomEnergy ?? 0) * ROOM_MARGIN || energy <= this.peakEnergy * BELOW_PEAK;
    if (!quiet) this.quietSinceUs = undefined;
    else this.quietSinceUs ??= timeUs;
  }

  /** Where the current run of quiet chunks began (the latest chunk's time included), or undefined if the latest was not quiet. */
  get sinceUs(): number | undefined {
    return this.quietSinceUs;
  }
}
