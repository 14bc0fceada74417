import type { Payload } from '@voxbus/shared';

type Levels = Payload<'dsp.event.levels'>;

export interface LevelsPacing {
  /** How often levels go out while there is sound (or voice). */
  readonly levelsIntervalMs: number;
  /** How often at most they go out in silence: a meter has nothing to move for. */
  readonly levelsQuietIntervalMs: number;
  /** Below this RMS (dBFS) on both the microphone and the output, with no voice, is silence. */
  readonly levelsQuietDbfs: number;
}

/**
 * Decides which intervals' levels are published. In silence a meter showed the same floor ten times
 * a second, which was the bulk of what a monitor saw on an idle bus (Rhasspy's users' complaint:
 * audio-rate chatter drowning the broker). So: every interval while something is heard; the first
 * silent interval at once (the meter drops to the floor); then one every levelsQuietIntervalMs, so
 * a monitor still sees the dsp alive and the floor it measures.
 */
export class LevelsPacer {
  private lastPublishedMs = Number.NEGATIVE_INFINITY;
  private lastWasQuiet = false;

  constructor(private readonly pacing: LevelsPacing) {}

  /** Whether this interval's levels (ending at nowMs) are to be published. */
  shouldPublish(levels: Levels, nowMs: number): boolean {
    const quiet = !levels.voice && levels.input.rmsDbfs < this.pacing.levelsQuietDbfs && levels.output.rmsDbfs < this.pacing.levelsQuietDbfs;
    const publish = !quiet || !this.lastWasQuiet || nowMs - this.lastPublishedMs >= this.pacing.levelsQuietIntervalMs;
    this.lastWasQuiet = quiet;
    if (publish) this.lastPublishedMs = nowMs;
    return publish;
  }
}
