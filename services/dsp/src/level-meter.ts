import { amplitudeDbfs, powerDbfs } from './pcm.js';

export interface Level {
  readonly rmsDbfs: number;
  readonly peakDbfs: number;
}

/** RMS and peak of everything added since the last take(), in dBFS. */
export class LevelMeter {
  private sumSquares = 0;
  private count = 0;
  private peak = 0;

  addFloat(samples: Float32Array): void {
    for (let i = 0; i < samples.length; i++) this.add(samples[i] as number);
  }

  addInt16(samples: Int16Array): void {
    for (let i = 0; i < samples.length; i++) this.add((samples[i] as number) / 32768);
  }

  take(): Level {
    const level = { rmsDbfs: powerDbfs(this.count === 0 ? 0 : this.sumSquares / this.count), peakDbfs: amplitudeDbfs(this.peak) };
    this.sumSquares = 0;
    this.count = 0;
    this.peak = 0;
    return level;
  }

  private add(value: number): void {
    this.sumSquares += value * value;
    this.count++;
    const magnitude = value < 0 ? -value : value;
    if (magnitude > this.peak) this.peak = magnitude;
  }
}
