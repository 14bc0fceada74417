import type { VoiceStats } from '@voxbus/dsp';

export interface EchoStatus {
  readonly active: boolean;
  readonly converged: boolean;
  readonly erleDb: number | null;
  readonly erlDb: number | null;
}

/** Reference quieter than this (mean square, -50 dBFS) is silence: nothing to learn from. */
const FAR_ACTIVE_POWER = 1e-5;
/** Reference audio the canceller needs before its figures count. */
const LEARN_MS = 1000;
/** Hysteresis: convergence is lost only this far below the threshold. */
const LOSE_MARGIN_DB = 3;

/**
 * Whether echo cancellation can be relied on: active while the reference arrives, converged
 * once the canceller has removed `convergedErleDb` of the echo over a second of reference
 * audio. conversation-state allows barge-in by voice only then.
 */
export class EchoMonitor {
  private farActiveMs = 0;
  private converged = false;
  private erleDb: number | null = null;
  private erlDb: number | null = null;

  constructor(
    private readonly enabled: boolean,
    private readonly convergedErleDb: number,
  ) {}

  /** One chunk's reference power. */
  chunk(referencePower: number, chunkMs: number): void {
    if (referencePower > FAR_ACTIVE_POWER) this.farActiveMs += chunkMs;
  }

  /** Takes the canceller's latest figures; returns true when the status changed in a way worth publishing. */
  update(stats: VoiceStats): boolean {
    if (!this.enabled) return false;
    this.erleDb = stats.erleDb === null ? null : Math.round(stats.erleDb * 10) / 10;
    this.erlDb = stats.erlDb === null ? null : Math.round(stats.erlDb * 10) / 10;
    const was = this.converged;
    if (this.farActiveMs >= LEARN_MS && this.erleDb !== null) {
      if (!this.converged && this.erleDb >= this.convergedErleDb) this.converged = true;
      else if (this.converged && this.erleDb < this.convergedErleDb - LOSE_MARGIN_DB) this.converged = false;
    }
    return was !== this.converged;
  }


  status(referenceArriving: boolean): EchoStatus {
    return { active: this.enabled && referenceArriving, converged: this.converged, erleDb: this.erleDb, erlDb: this.erlDb };
  }
}
