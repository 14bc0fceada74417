import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, onTestFinished } from 'vitest';

/**
 * A fresh directory `voxbus-<name>-XXXXXX` under the system's temp dir, removed with everything
 * in it when the test that made it ends, passed or failed, or, when made while the tests are
 * being collected (a table of cases), when its file's tests are done: a run leaves nothing in /tmp.
 */
export function tempDir(name: string): string {
  const dir = mkdtempSync(join(tmpdir(), `voxbus-${name}-`));
  const remove = () => rmSync(dir, { recursive: true, force: true });
  try {
    onTestFinished(remove);
  } catch {
    // Not inside a test: vitest refuses onTestFinished, and takes afterAll for the file or suite.
    afterAll(remove);
  }
  return dir;
}
