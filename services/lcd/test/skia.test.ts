import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { DEFAULT_FONT_FILES } from '../src/config.js';
import { systemFontsNeeded } from '../src/skia.js';

/** The families Skia knows once loaded in a fresh process, after chooseSystemFonts(load). */
function familiesAfter(load: boolean, env: NodeJS.ProcessEnv = {}): string[] {
  const skia = fileURLToPath(new URL('../dist/skia.js', import.meta.url));
  const script = `import { chooseSystemFonts, skia } from ${JSON.stringify(skia)};
chooseSystemFonts(${load});
console.log(JSON.stringify(skia().GlobalFonts.families.map((f) => f.family)));`;
  const { DISABLE_SYSTEM_FONTS_LOAD: _, ...rest } = process.env;
  return JSON.parse(execFileSync(process.execPath, ['--input-type=module', '-e', script], { env: { ...rest, ...env }, encoding: 'utf8' })) as string[];
}

describe('the drawing library, loaded with or without the system fonts', () => {
  it('needs the system fonts only when a configured font file is missing', () => {
    expect(systemFontsNeeded(DEFAULT_FONT_FILES)).toBe(false);
    expect(systemFontsNeeded([...DEFAULT_FONT_FILES, '/nonexistent/font.ttf'])).toBe(true);
  });

  it('loads the installed fonts when asked, and none when not (setup installs fonts-dejavu-core: DejaVu Serif among them)', () => {
    expect(familiesAfter(true)).toContain('DejaVu Serif');
    expect(familiesAfter(false)).not.toContain('DejaVu Serif');
  });

  it("leaves a user's own DISABLE_SYSTEM_FONTS_LOAD as it is", () => {
    expect(familiesAfter(false, { DISABLE_SYSTEM_FONTS_LOAD: '' })).toContain('DejaVu Serif');
  });
});
