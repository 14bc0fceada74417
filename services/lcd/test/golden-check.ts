import { readFileSync } from 'node:fs';
import { arch } from 'node:os';
import { PNG } from 'pngjs';
import { DEFAULT_FONT_FILES } from '../src/config.js';
import { loadFonts } from '../src/fonts.js';
import { drawGolden, GOLDEN_SIZES, goldenFile } from './golden-screens.js';
import { imageDifference, MAX_DIFFERENT_FRACTION } from './image-diff.js';
import { SCENARIOS } from './scenarios.js';

// The golden screens drawn on another machine (deploy/containers/armhf-lcd-check.sh bundles this
// and runs it under QEMU with that architecture's Node and drawing library), held against the
// images golden.test.ts holds this machine's drawing against, with the same bound.
//   node golden-check.mjs <the golden folder>
const goldenDir = process.argv[2];
if (goldenDir === undefined) {
  console.error('usage: golden-check <services/lcd/test/golden>');
  process.exit(2);
}
const fonts = loadFonts(DEFAULT_FONT_FILES);
let drawn = 0;
let worst = 0;
const differing: string[] = [];
for (const size of GOLDEN_SIZES) {
  for (const scenario of SCENARIOS) {
    const actual = PNG.sync.read(await drawGolden(size, scenario, fonts.family));
    const expected = PNG.sync.read(readFileSync(goldenFile(goldenDir, size, scenario)));
    const { fraction } = imageDifference(actual, expected);
    drawn++;
    worst = Math.max(worst, fraction);
    if (fraction > MAX_DIFFERENT_FRACTION) differing.push(`${size.widthPx}x${size.heightPx}/${scenario.name} (${(fraction * 100).toFixed(2)} %)`);
  }
}
const missing = fonts.missing.length > 0 ? `; fonts missing: ${fonts.missing.join(', ')}` : '';
console.log(`${arch()}, Node ${process.version}: ${drawn} golden screens drawn, ${differing.length} beyond the bound (worst ${(worst * 100).toFixed(3)} % of pixels)${missing}`);
for (const line of differing) console.log(`  differs: ${line}`);
process.exit(differing.length > 0 || missing !== '' ? 1 : 0);
