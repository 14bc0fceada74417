/**
 * A 2nd-order Butterworth high-pass filter (RBJ's cookbook biquad, transposed direct form II),
 * for DC offset and rumble. State persists across calls, so a stream filtered frame by frame
 * is filtered as one.
 */
export class HighPass {
  private readonly b0: number;
  private readonly b1: number;
  private readonly b2: number;
  private readonly a1: number;
  private readonly a2: number;
  private z1 = 0;
  private z2 = 0;

  constructor(cutoffHz: number, sampleRateHz: number) {
    const w0 = (2 * Math.PI * cutoffHz) / sampleRateHz;
    const alpha = Math.sin(w0) / (2 * Math.SQRT1_2);
    const cos = Math.cos(w0);
    const a0 = 1 + alpha;
    this.b0 = (1 + cos) / 2 / a0;
    this.b1 = -(1 + cos) / a0;
    this.b2 = this.b0;
    this.a1 = (-2 * cos) / a0;
    this.a2 = (1 - alpha) / a0;
  }

  /** Filters in place. */
  process(samples: Float32Array): void {
    let { z1, z2 } = this;
    for (let i = 0; i < samples.length; i++) {
      const x = samples[i] as number;
      const y = this.b0 * x + z1;
      z1 = this.b1 * x - this.a1 * y + z2;
      z2 = this.b2 * x - this.a2 * y;
      samples[i] = y;
    }
    this.z1 = z1;
    this.z2 = z2;
  }

  reset(): void {
    this.z1 = 0;
    this.z2 = 0;
  }
}
