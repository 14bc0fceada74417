/** Envelope resolution: one value per this many ms. */
export const BIN_MS = 5;
/** Envelope levels below this (dBFS) are all silence alike. */
const FLOOR_DB = -70;
/** A bin of reference louder than this (dBFS) is sound the echo can be found by. */
const ACTIVE_DB = -50;
/** Correlation the best lag must reach, and by how much it must beat lags away from it. */
const MIN_CORRELATION = 0.6;
const MIN_MARGIN = 0.1;
/** Lags within this many bins of the best one are its own peak, not rivals. */
const PEAK_HALF_WIDTH_BINS = 3;
/** Two estimates within this many ms of each other agree. */
const AGREE_MS = 4;
/** A first estimate this clear is taken at once (replies can be short: every one counts). */
const SURE_CORRELATION = 0.8;

export interface DelayEstimate {
  /** How much later than its timestamp the speaker's sound reaches the microphone, ms. */
  readonly delayMs: number;
  readonly correlation: number;
}

/**
 * Finds how much later than their timestamps the speaker's sounds reach the microphone — the
 * sound server's and the room's share of the delay, which no timestamp knows — from the
 * signals themselves: the correlation of the microphone's loudness envelope with the
 * reference's, over the last `windowMs`, at every lag up to `maxDelayMs`. An estimate counts
 * only when its peak is clear (a person talking over the reply blurs it) and two in a row
 * agree (or, for the first, when it is very clear). Every such estimate is reported: whether it
 * is far enough from the delay in use to move anything is the user's to decide (the echo path
 * knows its canceller's reach), so there is one threshold, not two that can disagree.
 */
export class DelayEstimator {
  private readonly lagBins: number;
  private readonly windowBins: number;
  /** Newest last; the reference keeps `lagBins` more history than the microphone. */
  private readonly mic: Float64Array;
  private readonly reference: Float64Array;
  private filled = 0;
  private binsSinceEstimate = 0;
  private candidate: DelayEstimate | undefined;
  private current: DelayEstimate | undefined;
  private readonly binSamples: number;

  constructor(
    rateHz: number,
    maxDelayMs: number,
    windowMs = 1000,
    private readonly everyMs = 100,
  ) {
    this.binSamples = Math.round((rateHz * BIN_MS) / 1000);
    this.lagBins = Math.ceil(maxDelayMs / BIN_MS);
    this.windowBins = Math.round(windowMs / BIN_MS);
    this.mic = new Float64Array(this.windowBins).fill(FLOOR_DB);
    this.reference = new Float64Array(this.windowBins + this.lagBins).fill(FLOOR_DB);
  }

  /** The latest agreed estimate (undefined until the signals have given one). */
  get estimate(): DelayEstimate | undefined {
    return this.current;
  }

  /**
   * One chunk of the microphone and of the reference at the same timestamps (no delay applied).
   * Returns the estimate the chunk confirmed, if it confirmed one. `referenceKnown` false: what
   * the speaker played then never came (playback's report was late), so the reference here is a
   * hole, not silence; no estimate is made until the hole has left the window, or the echo of
   * sound the estimator never saw would pull the peak anywhere.
   */
  push(mic: Int16Array, reference: Int16Array, referenceKnown = true): DelayEstimate | undefined {
    let confirmed: DelayEstimate | undefined;
    if (!referenceKnown) this.forgetWindow();
    for (let from = 0; from + this.binSamples <= mic.length; from += this.binSamples) {
      shiftIn(this.mic, levelDb(mic, from, this.binSamples));
      shiftIn(this.reference, levelDb(reference, from, this.binSamples));
      this.filled = Math.min(this.filled + 1, this.reference.length);
      if (++this.binsSinceEstimate * BIN_MS >= this.everyMs) {
        this.binsSinceEstimate = 0;
        confirmed = this.estimateNow() ?? confirmed;
      }
    }
    return confirmed;
  }

  /**
   * What is in the window no longer lines up (the microphone's stream restarted, its timeline
   * anew): no estimate until the window has filled again. The estimate in use stays.
   */
  forgetWindow(): void {
    this.filled = 0;
    this.candidate = undefined;
  }

  private estimateNow(): DelayEstimate | undefined {
    if (this.filled < this.reference.length) return undefined;
    // Enough of the window must hold sound from the speaker, or there is nothing to find.
    let active = 0;
    for (let i = this.lagBins; i < this.reference.length; i++) if ((this.reference[i] as number) > ACTIVE_DB) active++;
    if (active < this.windowBins * 0.3) return undefined;
    const found = this.bestLag();
    if (found === undefined) {
      this.candidate = undefined;
      return undefined;
    }
    const agrees = this.candidate !== undefined && Math.abs(this.candidate.delayMs - found.delayMs) <= AGREE_MS;
    this.candidate = found;
    const sure = this.current === undefined && found.correlation >= SURE_CORRELATION;
    if (!agrees && !sure) return undefined;
    this.current = found;
    return found;
  }

  /** The lag with the clearest correlation peak, refined between bins; undefined when none is clear. */
  private bestLag(): DelayEstimate | undefined {
    const n = this.windowBins;
    const micMean = mean(this.mic, 0, n);
    let micNorm = 0;
    for (let i = 0; i < n; i++) micNorm += ((this.mic[i] as number) - micMean) ** 2;
    if (micNorm === 0) return undefined;
    const correlations = new Float64Array(this.lagBins + 1);
    for (let lag = 0; lag <= this.lagBins; lag++) {
      // Microphone bin i (of the window) against the reference `lag` bins earlier.
      const offset = this.lagBins - lag;
      const refMean = mean(this.reference, offset, n);
      let dot = 0;
      let refNorm = 0;
      for (let i = 0; i < n; i++) {
        const r = (this.reference[offset + i] as number) - refMean;
        dot += ((this.mic[i] as number) - micMean) * r;
        refNorm += r * r;
      }
      correlations[lag] = refNorm === 0 ? 0 : dot / Math.sqrt(micNorm * refNorm);
    }
    let best = 0;
    for (let lag = 1; lag <= this.lagBins; lag++) if ((correlations[lag] as number) > (correlations[best] as number)) best = lag;
    const peak = correlations[best] as number;
    let rival = Number.NEGATIVE_INFINITY;
    for (let lag = 0; lag <= this.lagBins; lag++) if (Math.abs(lag - best) > PEAK_HALF_WIDTH_BINS) rival = Math.max(rival, correlations[lag] as number);
    if (peak < MIN_CORRELATION || peak - rival < MIN_MARGIN) return undefined;
    // A parabola through the peak and its neighbours places it between bins.
    const before = correlations[best - 1];
    const after = correlations[best + 1];
    let fraction = 0;
    if (before !== undefined && after !== undefined) {
      const curvature = before - 2 * peak + after;
      if (curvature < 0) fraction = Math.max(-0.5, Math.min(0.5, (0.5 * (before - after)) / curvature));
    }
    return { delayMs: Math.round((best + fraction) * BIN_MS * 10) / 10, correlation: Math.round(peak * 100) / 100 };
  }
}

function levelDb(samples: Int16Array, from: number, count: number): number {
  let sum = 0;
  for (let i = from; i < from + count; i++) {
    const value = (samples[i] as number) / 32768;
    sum += value * value;
  }
  const power = sum / count;
  return power > 0 ? Math.max(FLOOR_DB, 10 * Math.log10(power)) : FLOOR_DB;
}

function shiftIn(history: Float64Array, value: number): void {
  history.copyWithin(0, 1);
  history[history.length - 1] = value;
}

function mean(values: Float64Array, from: number, count: number): number {
  let sum = 0;
  for (let i = from; i < from + count; i++) sum += values[i] as number;
  return sum / count;
}
