import { amplitudeDbfs, powerDbfs } from './pcm.js';

export interface Level {
  readonly rmsDbfs: number;
  readonly peakDbfs: number;
}

/** To a tenth of a dB: a meter shows no finer, and `-23.456789123` is 8 bytes more on the bus than `-23.5`. */
const tenthDb = (db: number) => Math.round(db * 10) / 10;

/** RMS and peak of everything added since the last take(), in dBFS (to 0.1 dB). */
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
    const level = { rmsDbfs: tenthDb(powerDbfs(this.count === 0 ? 0 : this.sumSquares / this.count)), peakDbfs: tenthDb(amplitudeDbfs(this.peak)) };
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
