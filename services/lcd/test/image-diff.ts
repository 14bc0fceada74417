import type { PNG } from 'pngjs';

// Anti-aliased glyph edges may differ by a shade between Skia builds or CPUs; a wrong word,
// colour or layout changes far more pixels than this, by far more.
const CHANNEL_TOLERANCE = 48;
export const MAX_DIFFERENT_FRACTION = 0.002;

/** Pixels whose red, green or blue differ by more than the tolerance. */
export function imageDifference(actual: PNG, expected: PNG): { differentPixels: number; fraction: number } {
  let differentPixels = 0;
  for (let i = 0; i < actual.data.length; i += 4) {
    for (let c = 0; c < 3; c++) {
      if (Math.abs((actual.data[i + c] as number) - (expected.data[i + c] as number)) > CHANNEL_TOLERANCE) {
        differentPixels++;
        break;
      }
    }
  }
  return { differentPixels, fraction: differentPixels / (actual.width * actual.height) };
}
