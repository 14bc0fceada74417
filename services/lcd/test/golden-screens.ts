import { join } from 'node:path';
import { LCD_DEFAULTS } from '../src/config.js';
import { ScreenRenderer } from '../src/renderer.js';
import { modelOf, type Scenario } from './scenarios.js';

/** The panel sizes the golden images are drawn at (golden.test.ts here, golden-check.ts on armhf). */
export const GOLDEN_SIZES = [
  { widthPx: 240, heightPx: 280 },
  { widthPx: 320, heightPx: 240 },
] as const;

export type GoldenSize = (typeof GOLDEN_SIZES)[number];

/** One scenario's screen as the lcd draws it with its defaults, as PNG bytes. */
export async function drawGolden(size: GoldenSize, scenario: Scenario, fontFamily: string): Promise<Buffer> {
  const renderer = new ScreenRenderer({ ...LCD_DEFAULTS, ...LCD_DEFAULTS.fonts, ...size, fontFamily });
  renderer.render(modelOf(scenario));
  return renderer.png();
}

/** Where a scenario's golden image is kept under the golden folder. */
export function goldenFile(goldenDir: string, size: GoldenSize, scenario: Scenario): string {
  return join(goldenDir, `${size.widthPx}x${size.heightPx}`, `${scenario.name}.png`);
}
