import { existsSync } from 'node:fs';
import { skia } from './skia.js';

export interface LoadedFonts {
  /** A CSS font-family list: the configured files in order, so Skia falls back along it per character. */
  readonly family: string;
  readonly missing: readonly string[];
}

const loaded = new Map<string, string>();

/**
 * Registers font files under names of our own, so the picture depends on the configured files
 * and not on what fontconfig happens to find (the golden images rely on that). Missing or
 * unreadable files are returned, for the caller to log; with none left, the system's sans-serif.
 */
export function loadFonts(files: readonly string[]): LoadedFonts {
  const families: string[] = [];
  const missing: string[] = [];
  for (const file of files) {
    let alias = loaded.get(file);
    if (!alias && existsSync(file)) {
      const candidate = `voxbus-font-${loaded.size}`;
      if (skia().GlobalFonts.registerFromPath(file, candidate)) {
        alias = candidate;
        loaded.set(file, alias);
      }
    }
    if (alias) families.push(alias);
    else missing.push(file);
  }
  families.push('sans-serif');
  return { family: families.join(', '), missing };
}
