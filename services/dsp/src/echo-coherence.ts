/** Both signals are compared at half the rate: speech's energy is well below 6 kHz, and it quarters the cost. */
const DECIMATION = 2;

/**
 * How much of what the canceller left is still the speaker's sound: the largest normalised
 * correlation between the last `windowMs` of the residual and the reference the canceller was
 * given, at every lag the echo can sit at (0 to `maxLagMs`). Echo the canceller failed to
 * remove is a filtered copy of the reference and correlates with it (a median of 0.5 was
 * measured on the virtual board's echo path); a person's voice does not (0.14). Computed only
 * when asked: the echo gate asks when a chunk's level alone says "voice".
 */
export class EchoCoherence {
  private readonly reference: Float32Array;
  private readonly residual: Float32Array;
  private readonly windowSamples: number;
  private readonly lagSamples: number;
  private readonly rate: number;

  constructor(rateHz: number, windowMs: number, maxLagMs: number) {
    const rate = rateHz / DECIMATION;
    this.rate = rate;
    this.windowSamples = Math.round((rate * windowMs) / 1000);
    this.lagSamples = Math.round((rate * maxLagMs) / 1000);
    this.reference = new Float32Array(this.windowSamples + this.lagSamples);
    this.residual = new Float32Array(this.windowSamples);
  }

  /** One chunk: the reference as the canceller got it, and what the canceller left of the microphone. */
  push(reference: Int16Array, residual: Int16Array): void {
    shiftIn(this.reference, reference);
    shiftIn(this.residual, residual);
  }

  /** The largest |correlation| (0–1) of the residual window with the reference at any lag up to `maxLagMs` (at most the constructor's). */
  correlation(maxLagMs?: number): number {
    return this.peak(maxLagMs).correlation;
  }

  /** The largest |correlation| and the lag (ms after the reference) it is at. */
  peak(maxLagMs?: number): { correlation: number; lagMs: number } {
    const { residual, reference, windowSamples } = this;
    const lagSamples = maxLagMs === undefined ? this.lagSamples : Math.min(this.lagSamples, Math.round((this.rate * maxLagMs) / 1000));
    let residualEnergy = 0;
    for (let i = 0; i < windowSamples; i++) residualEnergy += (residual[i] as number) ** 2;
    if (residualEnergy === 0) return { correlation: 0, lagMs: 0 };
    // Reference energy over a sliding window, updated as the lag moves back one sample.
    const newest = this.lagSamples;
    let referenceEnergy = 0;
    for (let i = newest; i < newest + windowSamples; i++) referenceEnergy += (reference[i] as number) ** 2;
    let best = 0;
    let bestLag = 0;
    for (let lag = 0; lag <= lagSamples; lag++) {
      const offset = newest - lag;
      if (lag > 0) {
        referenceEnergy += (reference[offset] as number) ** 2 - (reference[offset + windowSamples] as number) ** 2;
      }
      if (referenceEnergy <= 0) continue;
      let dot = 0;
      for (let i = 0; i < windowSamples; i++) dot += (residual[i] as number) * (reference[offset + i] as number);
      // At most 1: the sliding energy, added and taken away in floating point, can come out a little small.
      const correlation = Math.min(1, Math.abs(dot) / Math.sqrt(residualEnergy * referenceEnergy));
      if (correlation > best) {
        best = correlation;
        bestLag = lag;
      }
    }
    return { correlation: best, lagMs: Math.round((bestLag * 1000) / this.rate) };
  }
}

/** Appends a chunk (decimated by averaging pairs) to a history, dropping the oldest samples. */
function shiftIn(history: Float32Array, chunk: Int16Array): void {
  const count = Math.floor(chunk.length / DECIMATION);
  history.copyWithin(0, count);
  const from = history.length - count;
  for (let i = 0; i < count; i++) {
    let sum = 0;
    for (let k = 0; k < DECIMATION; k++) sum += chunk[i * DECIMATION + k] as number;
    history[from + i] = sum / (DECIMATION * 32768);
  }
}
