import { readdirSync, readFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from './helpers/processes.js';

interface Pkg {
  name: string;
  workspaces?: string[];
  dependencies?: Record<string, string>;
}

const read = <T>(path: string): T => JSON.parse(readFileSync(path, 'utf8').replace(/^\s*\/\/.*$/gm, '')) as T;

function workspaceDirs(): string[] {
  const root = read<Pkg>(join(REPO_ROOT, 'package.json'));
  return (root.workspaces ?? []).flatMap((pattern) => {
    if (!pattern.endsWith('/*')) return [join(REPO_ROOT, pattern)];
    const parent = join(REPO_ROOT, pattern.slice(0, -2));
    return readdirSync(parent, { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => join(parent, d.name));
  });
}

describe('workspace wiring', () => {
  const dirs = workspaceDirs();
  const byName = new Map(dirs.map((dir) => [read<Pkg>(join(dir, 'package.json')).name, dir]));

  it('has a TypeScript project for every workspace, each referenced by the root solution', () => {
    const rootRefs = read<{ references: { path: string }[] }>(join(REPO_ROOT, 'tsconfig.json')).references.map((r) => resolve(REPO_ROOT, r.path));
    for (const dir of dirs) expect(rootRefs, `root tsconfig.json references ${relative(REPO_ROOT, dir)}`).toContain(dir);
  });

  it('references, in each package tsconfig, exactly the workspace packages it depends on', () => {
    for (const dir of dirs) {
      const deps = Object.keys(read<Pkg>(join(dir, 'package.json')).dependencies ?? {}).filter((name) => byName.has(name));
      const refs = (read<{ references?: { path: string }[] }>(join(dir, 'tsconfig.json')).references ?? []).map((r) => resolve(dir, r.path));
      expect(refs.sort(), relative(REPO_ROOT, dir)).toEqual(deps.map((name) => byName.get(name) as string).sort());
    }
  });

  it('copies every workspace manifest into the Docker build stage before npm ci', () => {
    const dockerfile = readFileSync(join(REPO_ROOT, 'deploy', 'Dockerfile'), 'utf8');
    for (const dir of dirs) {
      const manifest = `${relative(REPO_ROOT, dir)}/package.json`;
      expect(dockerfile, `deploy/Dockerfile copies ${manifest}`).toContain(`COPY ${manifest} `);
    }
  });
});
