import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';

type Skia = typeof import('@napi-rs/canvas');
let loaded: Skia | undefined;

/**
 * The drawing library, @napi-rs/canvas (Skia), loaded on first use rather than imported: as it
 * is evaluated it loads every font the system has installed (FreeType reading each file under
 * /usr/share/fonts), unless DISABLE_SYSTEM_FONTS_LOAD is set by then. The screen draws with its
 * configured font files, registered by path, so while they are all there the system's fonts
 * are never asked for: not loading them kept a process drawing the screen 6-7 MiB smaller (PSS,
 * docs/benchmarks.md).
 */
export function skia(): Skia {
  if (loaded === undefined) {
    try {
      loaded = createRequire(import.meta.url)('@napi-rs/canvas') as Skia;
    } catch (error) {
      throw new Error(`cannot load the drawing library @napi-rs/canvas for ${process.platform}-${process.arch}: ${(error as Error).message}`);
    }
  }
  return loaded;
}

/** Whether the system's fonts are needed: only when a configured file is missing (its characters may be found there). */
export function systemFontsNeeded(files: readonly string[]): boolean {
  return files.some((file) => !existsSync(file));
}

/**
 * Before the library is first loaded: whether it loads the system's fonts too. Without them,
 * DISABLE_SYSTEM_FONTS_LOAD goes into this process's environment, which only the library reads
 * (all-in-one: the one process; its child processes, if any, inherit it). A user's own setting
 * of the variable wins; once the library is loaded the choice is made and this does nothing.
 */
export function chooseSystemFonts(load: boolean): void {
  if (loaded !== undefined || load || process.env.DISABLE_SYSTEM_FONTS_LOAD !== undefined) return;
  process.env.DISABLE_SYSTEM_FONTS_LOAD = '1';
}
