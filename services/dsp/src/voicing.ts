/** Rate the meter works at: pitch lives well below 4 kHz, and a lower rate costs a ninth of the work. */
const METER_RATE_HZ = 8000;
/** The window looked at: two periods of the lowest pitch it looks for. */
const WINDOW_MS = 32;
const LOWEST_PITCH_HZ = 70;
const HIGHEST_PITCH_HZ = 400;

/**
 * How voiced the latest audio is: the peak of its normalised autocorrelation over the lags of a
 * human voice's pitch (70–400 Hz), from 0 (noise, a click, a cough's burst) to 1 (a steady
 * periodic sound). A voice's vowels score 0.6–0.95; the VAD uses this as evidence that a short
 * sound is a person speaking rather than a noise. Keeps a short window of the audio decimated to
 * 8 kHz; `strength()` is computed only when asked (about 30 k multiply-adds per call).
 */
export class VoicingMeter {
  private readonly factor: number;
  private readonly window: Float32Array;
  /** The window unrolled into time order for strength(), kept to spare an allocation per call. */
  private readonly ordered: Float32Array;
  private readonly minLag: number;
  private readonly maxLag: number;
  /** Samples written into the window (circular) so far; the newest is at (written - 1) mod length. */
  private written = 0;
  private pending = 0;
  private pendingCount = 0;
  private readonly rateHz: number;
  /** The pitch lag of the last strength() (its best), in samples at the meter's rate. */
  private bestLag = 0;

  constructor(sampleRateHz: number) {
    this.factor = Math.max(1, Math.round(sampleRateHz / METER_RATE_HZ));
    const rateHz = sampleRateHz / this.factor;
    this.rateHz = rateHz;
    this.window = new Float32Array(Math.round((WINDOW_MS * rateHz) / 1000));
    this.ordered = new Float32Array(this.window.length);
    this.minLag = Math.floor(rateHz / HIGHEST_PITCH_HZ);
    this.maxLag = Math.min(this.window.length - 8, Math.ceil(rateHz / LOWEST_PITCH_HZ));
  }

  /** Adds audio (16-bit samples), averaged down to the meter's rate. */
  push(samples: Int16Array): void {
    for (let i = 0; i < samples.length; i++) {
      this.pending += samples[i] as number;
      if (++this.pendingCount < this.factor) continue;
      this.window[this.written % this.window.length] = this.pending / this.factor;
      this.written++;
      this.pending = 0;
      this.pendingCount = 0;
    }
  }

  /** Clears the window (a new stream). */
  reset(): void {
    this.window.fill(0);
    this.written = 0;
    this.pending = 0;
    this.pendingCount = 0;
  }

  /** The voicing of the window's audio, 0–1 (0 until the window is full). */
  strength(): number {
    const n = this.window.length;
    if (this.written < n) return 0;
    // Unrolled into time order once, so the inner loops index plainly.
    const x = this.ordered;
    const start = this.written % n;
    for (let i = 0; i < n; i++) x[i] = this.window[(start + i) % n] as number;
    let best = 0;
    for (let lag = this.minLag; lag <= this.maxLag; lag++) {
      let cross = 0;
      let early = 0;
      let late = 0;
      for (let i = 0; i + lag < n; i++) {
        const a = x[i] as number;
        const b = x[i + lag] as number;
        cross += a * b;
        early += a * a;
        late += b * b;
      }
      const energy = Math.sqrt(early * late);
      if (energy > 0 && cross / energy > best) {
        best = cross / energy;
        this.bestLag = lag;
      }
    }
    return best;
  }

  /** The pitch the last strength() found (its best lag), Hz; meaningful only where that was voiced. */
  pitchHz(): number {
    return this.bestLag === 0 ? 0 : this.rateHz / this.bestLag;
  }
}
