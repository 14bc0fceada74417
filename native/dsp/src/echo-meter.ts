/**
 * ERL and ERLE around an echo canceller, over the chunks where the reference plays: the same
 * measure as cc/echo_meter.h (which the speex engine uses), for the fake.
 */
export class EchoMeter {
  private far = 0;
  private input = 0;
  private output = 0;
  private chunks = 0;

  add(far: Int16Array, input: Int16Array, output: Int16Array): void {
    const farPower = power(far);
    // Below -60 dBFS the reference is silence: nothing to cancel, nothing to learn from.
    if (farPower < FAR_FLOOR) return;
    this.far += ALPHA * (farPower - this.far);
    this.input += ALPHA * (power(input) - this.input);
    this.output += ALPHA * (power(output) - this.output);
    this.chunks++;
  }

  /** Null until a second of reference audio has been seen. */
  erleDb(): number | null {
    return this.chunks < 100 ? null : 10 * Math.log10((this.input + TINY) / (this.output + TINY));
  }

  erlDb(): number | null {
    return this.chunks < 100 ? null : 10 * Math.log10((this.far + TINY) / (this.input + TINY));
  }
}

/** 10 ms chunks: about a second of smoothing. */
const ALPHA = 0.01;
const FAR_FLOOR = 1e-6;
const TINY = 1e-10;

export function power(chunk: Int16Array): number {
  let sum = 0;
  for (const value of chunk) sum += value * value;
  return chunk.length === 0 ? 0 : sum / (chunk.length * 32768 * 32768);
}
