import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import type { ServiceEntry } from './discover.js';

/** Written by deploy/bundle-all-in-one.mjs; paths relative to the repository. */
interface Manifest {
  readonly services: Record<string, string>;
  readonly shared: string;
}

export interface AllInOneBundle {
  /** The shared library's bundled entry: the host's runServices, the same copy the services use. */
  readonly shared: string;
  /** Per service name, its bundled definition. */
  readonly definitions: ReadonlyMap<string, string>;
}

/** Where the build writes the manifest, under the repository. */
export const ALL_IN_ONE_MANIFEST = join('deploy', 'runner', 'dist', 'all-in-one', 'manifest.json');

/**
 * All-in-one mode's build (deploy/bundle-all-in-one.mjs), for the services it holds: a service's
 * bundled definition is used only when it was built from the very folder the service was found
 * in (a folder of the user's with a service of the same name is the user's) and the build is at
 * least as new as the service's and the shared library's last compile (a `tsc --build` alone
 * leaves it behind, and importing it would run yesterday's code). Undefined when none qualifies.
 */
export function allInOneBundle(repoRoot: string, services: readonly ServiceEntry[]): AllInOneBundle | undefined {
  const manifestPath = join(repoRoot, ALL_IN_ONE_MANIFEST);
  if (!existsSync(manifestPath)) return undefined;
  let manifest: Manifest;
  try {
    manifest = JSON.parse(readFileSync(manifestPath, 'utf8')) as Manifest;
  } catch (error) {
    console.error(`[runner] ${manifestPath} is not valid JSON (${(error as Error).message}): running the unbundled services`);
    return undefined;
  }
  const builtAtMs = statSync(manifestPath).mtimeMs;
  const newerThanBuild = (distDir: string) => {
    const compiled = join(distDir, '.tsbuildinfo');
    return existsSync(compiled) && statSync(compiled).mtimeMs > builtAtMs;
  };
  const shared = resolve(repoRoot, manifest.shared);
  if (!existsSync(shared) || newerThanBuild(join(repoRoot, 'shared', 'dist'))) return undefined;
  const definitions = new Map<string, string>();
  for (const service of services) {
    const bundled = manifest.services[service.name];
    if (bundled === undefined || service.definition === undefined) continue;
    const path = resolve(repoRoot, bundled);
    const distDir = dirname(service.definition);
    if (path !== join(distDir, 'all-in-one.mjs') || !existsSync(path) || newerThanBuild(distDir)) continue;
    definitions.set(service.name, path);
  }
  return definitions.size > 0 ? { shared, definitions } : undefined;
}
