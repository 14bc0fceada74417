import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from './helpers/processes.js';

/** The project's own TypeScript sources (tracked files; tests, scripts and generated code left out). */
function sourceFiles(): string[] {
  const tracked = execFileSync('git', ['ls-files', '*.ts'], { cwd: REPO_ROOT, encoding: 'utf8' }).split('\n');
  return tracked.filter((path) => /^(services|shared|native)\/[^/]+\/src\//.test(path) || /^shared\/src\//.test(path)).filter((path) => !/\.test\.ts$|\/generated\//.test(path));
}

const linesOf = (path: string): string[] => readFileSync(join(REPO_ROOT, path), 'utf8').replace(/\n$/, '').split('\n');

describe('house rules (docs: issue 16)', () => {
  it('keeps every logic file at 350 lines or less, unless its first line says why it is longer', () => {
    const files = sourceFiles();
    expect(files.length, 'no sources found: the file filter is wrong').toBeGreaterThan(100);
    const over = files
      .map((path) => ({ path, lines: linesOf(path) }))
      .filter(({ lines }) => lines.length > 350 && !/^\/\/ Over 350 lines on purpose:/.test(lines[0] ?? ''))
      .map(({ path, lines }) => `${path}: ${lines.length} lines`);
    expect(over, 'split these along their jobs, or say at the top why they are long').toEqual([]);
  });

  it('leaves nothing in /tmp: a test that makes a directory there removes it (tempDir() in test/helpers, or its own rmSync)', () => {
    const tests = execFileSync('git', ['ls-files', '*.test.ts'], { cwd: REPO_ROOT, encoding: 'utf8' }).split('\n').filter(Boolean);
    expect(tests.length, 'no tests found').toBeGreaterThan(50);
    const leaky = tests.filter((path) => {
      const text = readFileSync(join(REPO_ROOT, path), 'utf8');
      return text.includes('mkdtempSync(') && !text.includes('rmSync(');
    });
    expect(leaky, 'these make temp directories and never remove them').toEqual([]);
  });

  it('keeps every file of the realtime gateway at 250 lines or less and its main.ts wiring only (40 lines at most)', () => {
    const gateway = sourceFiles().filter((path) => path.startsWith('services/realtime-gateway/src/'));
    expect(gateway.length).toBeGreaterThan(10);
    const over = gateway.map((path) => ({ path, count: linesOf(path).length })).filter(({ count }) => count > 250);
    expect(over).toEqual([]);
    expect(linesOf('services/realtime-gateway/src/main.ts').length).toBeLessThanOrEqual(40);
  });
});
