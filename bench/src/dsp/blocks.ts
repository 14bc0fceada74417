/**
 * Energy in 100 ms blocks on a timeline, for comparing a microphone with what a canceller
 * left of it, block by block, whatever their rates.
 */
export const BLOCK_US = 100_000;

export class BlockEnergy {
  private readonly blocks = new Map<number, { sum: number; count: number }>();

  /** s16 mono samples whose first sample is at `firstUs`. */
  add(values: Int16Array, rateHz: number, firstUs: number): void {
    for (let i = 0; i < values.length; i++) {
      const block = Math.floor((firstUs + (i * 1e6) / rateHz) / BLOCK_US);
      let cell = this.blocks.get(block);
      if (cell === undefined) {
        cell = { sum: 0, count: 0 };
        this.blocks.set(block, cell);
      }
      const value = (values[i] as number) / 32768;
      cell.sum += value * value;
      cell.count++;
    }
  }

  /** Mean square of a block, or undefined where nothing fell in it. */
  power(block: number): number | undefined {
    const cell = this.blocks.get(block);
    return cell === undefined || cell.count === 0 ? undefined : cell.sum / cell.count;
  }

  keys(): number[] {
    return [...this.blocks.keys()].sort((a, b) => a - b);
  }
}

/** Echo reaching the microphone louder than this counts (-50 dBFS): the rest is the room. */
const ECHO_FLOOR_POWER = 1e-5;

/**
 * ERLE over the blocks after `fromUs` where the microphone held echo: 10·log10 of the echo
 * energy in over the energy left out. Only echo plays (nobody talks), so every loud
 * microphone block is echo.
 */
export function erleDb(raw: BlockEnergy, cancelled: BlockEnergy, fromUs: number): { erleDb: number; blocks: number } {
  let rawSum = 0;
  let outSum = 0;
  let blocks = 0;
  for (const block of raw.keys()) {
    if (block * BLOCK_US < fromUs) continue;
    const rawPower = raw.power(block);
    const outPower = cancelled.power(block);
    if (rawPower === undefined || outPower === undefined || rawPower < ECHO_FLOOR_POWER) continue;
    rawSum += rawPower;
    outSum += outPower;
    blocks++;
  }
  return { erleDb: 10 * Math.log10(rawSum / Math.max(outSum, 1e-15)), blocks };
}
