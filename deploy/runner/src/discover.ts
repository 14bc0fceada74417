import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';

export interface ServiceEntry {
  readonly name: string;
  /** Absolute path of the compiled entry point (its one-file bundle when there is one). */
  readonly main: string;
  /** Absolute path of the module exporting its definition (`service`), beside the entry point: what all-in-one mode imports. */
  readonly definition: string | undefined;
  /** Lower starts first in the listing (the broker is 0). */
  readonly startOrder: number;
  /** An opt-in service runs only when named, or when this setting (an environment variable) is set. */
  readonly optIn: string | undefined;
  /** Services it stands in for: chosen by its opt-in, it runs in their place (the telephony bridge: audio-capture and playback). */
  readonly replaces?: readonly string[];
}

interface PackageJson {
  main?: string;
  voxbus?: { service?: string; startOrder?: number; optIn?: string; replaces?: string[] };
}

/**
 * Finds services: every folder under `dirs` whose package.json has a `voxbus.service` name and
 * whose `main` (the compiled entry point) exists. A service without a build is reported, not
 * silently skipped.
 */
export function discoverServices(dirs: readonly string[]): { services: ServiceEntry[]; problems: string[] } {
  const services: ServiceEntry[] = [];
  const problems: string[] = [];
  for (const dir of dirs) {
    const root = resolve(dir);
    if (!existsSync(root)) {
      problems.push(`service folder ${root} does not exist`);
      continue;
    }
    for (const entry of readdirSync(root, { withFileTypes: true })) {
      if (!entry.isDirectory()) continue;
      const packagePath = join(root, entry.name, 'package.json');
      if (!existsSync(packagePath)) continue;
      let pkg: PackageJson;
      try {
        pkg = JSON.parse(readFileSync(packagePath, 'utf8')) as PackageJson;
      } catch (error) {
        problems.push(`${packagePath} is not valid JSON: ${(error as Error).message}`);
        continue;
      }
      const name = pkg.voxbus?.service;
      if (!name) continue;
      const main = join(root, entry.name, pkg.main ?? 'dist/main.js');
      const distDir = dirname(main);
      // The image holds only the bundles: the service's, and its all-in-one build (its definition too).
      const bundle = freshBundle(distDir);
      if (!existsSync(main) && bundle === undefined) {
        problems.push(`service ${name} has no build at ${main} (run npm run build)`);
        continue;
      }
      const definition = [join(distDir, 'service.js'), join(distDir, 'all-in-one.mjs')].find((path) => existsSync(path));
      services.push({
        name,
        main: bundle ?? main,
        definition,
        startOrder: pkg.voxbus?.startOrder ?? 10,
        optIn: pkg.voxbus?.optIn,
        replaces: pkg.voxbus?.replaces ?? [],
      });
    }
  }
  services.sort((a, b) => a.startOrder - b.startOrder || a.name.localeCompare(b.name));
  return { services, problems };
}

/**
 * Keeps the services named in `only`; when none are named, every service but the opt-in ones
 * whose setting is not in `env` (Home Assistant's bridge runs when VOXBUS_HOME_ASSISTANT__ENABLED
 * is set, true or false: false removes its entities). Unknown names are problems.
 */
export function selectServices(
  services: ServiceEntry[],
  only: readonly string[] | undefined,
  env: Readonly<Record<string, string | undefined>> = {},
): { selected: ServiceEntry[]; problems: string[] } {
  if (!only || only.length === 0) {
    const chosen = services.filter((service) => service.optIn === undefined || env[service.optIn] !== undefined);
    // An opted-in stand-in runs in place of what it replaces (two speakers on one bus would fight).
    const replaced = new Set(chosen.flatMap((service) => (service.optIn !== undefined ? (service.replaces ?? []) : [])));
    return { selected: chosen.filter((service) => !replaced.has(service.name)), problems: [] };
  }
  const known = new Set(services.map((service) => service.name));
  const problems = only.filter((name) => !known.has(name)).map((name) => `no service named ${name} (found: ${[...known].join(', ')})`);
  return { selected: services.filter((service) => only.includes(service.name)), problems };
}

/**
 * The service bundled into one file (deploy/bundle.mjs), which starts faster and smaller, when
 * it is at least as new as the service's last compile: `tsc --build` alone (a developer's edit,
 * a test's build) leaves the bundle behind, and starting it would run yesterday's code.
 */
function freshBundle(distDir: string): string | undefined {
  const bundle = join(distDir, 'bundle.mjs');
  if (!existsSync(bundle)) return undefined;
  const compiled = join(distDir, '.tsbuildinfo');
  return !existsSync(compiled) || statSync(bundle).mtimeMs >= statSync(compiled).mtimeMs ? bundle : undefined;
}
