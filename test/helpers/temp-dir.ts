import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { onTestFinished } from 'vitest';

/**
 * A fresh directory `voxbus-<name>-XXXXXX` under the system's temp dir, removed with everything
 * in it when the test that made it ends, passed or failed: a suite run leaves nothing in /tmp.
 * Call it inside a test (or a function a test calls).
 */
export function tempDir(name: string): string {
  const dir = mkdtempSync(join(tmpdir(), `voxbus-${name}-`));
  onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}
