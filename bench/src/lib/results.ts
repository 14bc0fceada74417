import { cpus } from 'node:os';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const BENCH_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** Writes bench/results/<name>.json with the machine it was measured on. */
export function writeResults(name: string, body: Record<string, unknown>): string {
  const path = join(BENCH_ROOT, 'results', `${name}.json`);
  mkdirSync(dirname(path), { recursive: true });
  const machine = { cpu: cpus()[0]?.model ?? 'unknown', cores: cpus().length, node: process.version, arch: process.arch };
  writeFileSync(path, `${JSON.stringify({ generatedAt: new Date().toISOString(), machine, ...body }, null, 2)}\n`);
  return path;
}
