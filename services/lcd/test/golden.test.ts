import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PNG } from 'pngjs';
import { describe, expect, it } from 'vitest';
import { DEFAULT_FONT_FILES } from '../src/config.js';
import { loadFonts } from '../src/fonts.js';
import { drawGolden, GOLDEN_SIZES, goldenFile } from './golden-screens.js';
import { imageDifference, MAX_DIFFERENT_FRACTION } from './image-diff.js';
import { SCENARIOS } from './scenarios.js';

// UPDATE_GOLDEN=1 rewrites the images (look at them before committing).
const GOLDEN_DIR = fileURLToPath(new URL('./golden', import.meta.url));
const UPDATE = process.env.UPDATE_GOLDEN === '1';

describe('the screen, against the golden images', () => {
  const fonts = loadFonts(DEFAULT_FONT_FILES);

  it('has its fonts (deploy/setup.sh installs fonts-dejavu-core and fonts-droid-fallback)', () => {
    expect(fonts.missing).toEqual([]);
  });

  for (const size of GOLDEN_SIZES) {
    for (const scenario of SCENARIOS) {
      it(`${size.widthPx}×${size.heightPx}: ${scenario.name}`, async () => {
        const png = await drawGolden(size, scenario, fonts.family);
        const file = goldenFile(GOLDEN_DIR, size, scenario);
        if (UPDATE || !existsSync(file)) {
          mkdirSync(dirname(file), { recursive: true });
          writeFileSync(file, png);
          if (!UPDATE) throw new Error(`no golden image ${file}: written now, look at it and commit it`);
        }
        const actual = PNG.sync.read(png);
        const expected = PNG.sync.read(readFileSync(file));
        expect([actual.width, actual.height]).toEqual([expected.width, expected.height]);
        const { differentPixels, fraction } = imageDifference(actual, expected);
        if (fraction > MAX_DIFFERENT_FRACTION) {
          const saved = join(tmpdir(), `lcd-${size.widthPx}x${size.heightPx}-${scenario.name}.actual.png`);
          writeFileSync(saved, png);
          expect.fail(`${differentPixels} pixels differ from ${file} (${(fraction * 100).toFixed(2)} %); this render is in ${saved}`);
        }
      });
    }
  }
});
