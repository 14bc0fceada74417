#!/usr/bin/env node
// Copies what the services need at run time, and nothing else, into one folder: the image's
// runtime stage takes only that (deploy/Dockerfile). Each service runs its one-file bundle
// (deploy/bundle.mjs), so node_modules is needed only for what the bundles leave outside
// (native addons, pino, aedes, the lcd's drawing library, ws's optional helpers) and what those
// depend on, found through package-lock.json as Node would resolve them. Sources, tests, the
// TypeScript build and everything a bundle already holds (the gateway's @azure/identity alone
// is 44 MB) stay behind.
//   node deploy/runtime-files.mjs <out>
import { cpSync, existsSync, mkdirSync, readFileSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { EXTERNAL } from './bundle-externals.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const out = process.argv[2];
if (!out) {
  console.error('usage: node deploy/runtime-files.mjs <out>');
  process.exit(2);
}
const lock = JSON.parse(readFileSync(join(root, 'package-lock.json'), 'utf8')).packages;
const copy = (path, options = {}) => {
  if (!existsSync(join(root, path))) return;
  mkdirSync(dirname(join(out, path)), { recursive: true });
  cpSync(join(root, path), join(out, path), { recursive: true, ...options });
};

// The services: their bundles and the package.json each reads its version from.
const services = readdirSync(join(root, 'services')).filter((name) => existsSync(join(root, 'services', name, 'dist', 'bundle.mjs')));
for (const name of services) {
  copy(`services/${name}/package.json`);
  copy(`services/${name}/dist/bundle.mjs`);
  // Its part of the all-in-one build (the compose profile `all-in-one`).
  copy(`services/${name}/dist/all-in-one.mjs`);
  // Its command-line tools, bundled the same way (voxbus-credentials).
  const tools = Object.values(JSON.parse(readFileSync(join(root, 'services', name, 'package.json'), 'utf8')).voxbus?.tools ?? {});
  for (const tool of tools) copy(`services/${name}/dist/${tool}.mjs`);
}
// The broker's monitor page, and the browser build of mqtt.js it loads (the broker's bundle has
// the Node build inside; the page's is found through mqtt's package.json).
copy('services/broker/monitor');
copy('node_modules/mqtt/package.json');
copy('node_modules/mqtt/dist/mqtt.esm.js');
// All-in-one mode: the runner (bundled) and what the services' all-in-one entries share.
copy('deploy/runner/dist/bundle.mjs');
// (Without the source maps beside it: only bench:footprint reads them.)
copy('deploy/runner/dist/all-in-one', { filter: (source) => !source.endsWith('.map') });
// The command line (bundled like a service), which the image runs as `voxbus`.
copy('shared/dist/cli/voxbus.mjs');
// The realtime protocol's schemas, found through @voxbus/shared's package.json.
copy('shared/package.json');
copy('shared/schemas');
copy('package.json');

/** Where Node finds `name` from the package at `from` (a lock key): the nearest node_modules up. */
function resolveFrom(from, name) {
  for (let dir = from; ; dir = dirname(dir)) {
    const candidate = join(dir === '.' ? '' : dir, 'node_modules', name);
    if (lock[candidate]) return candidate;
    if (dir === '.' || dir === '') return undefined;
  }
}

/** Needed to build, never to run: type declarations, the addons' C++ headers. */
const BUILD_ONLY = ['@types/', 'node-addon-api'];
const wanted = new Set();
const queue = [...EXTERNAL.filter((name) => name !== '@voxbus/shared'), 'mqtt-packet'].map((name) => ['', name]);
while (queue.length > 0) {
  const [from, name] = queue.shift();
  let key = resolveFrom(from || '.', name);
  if (key === undefined) continue; // an optional package not installed here (another platform's)
  const entry = lock[key];
  if (entry.link) {
    // A workspace package: its compiled code and native addon, reached through the same link.
    const target = entry.resolved;
    mkdirSync(dirname(join(out, key)), { recursive: true });
    if (!existsSync(join(out, key))) symlinkSync(relative(dirname(join(out, key)), join(out, target)), join(out, key));
    key = target;
    if (wanted.has(key)) continue;
    wanted.add(key);
    copy(`${key}/package.json`);
    copy(`${key}/dist`, { filter: (path) => !path.endsWith('.d.ts') && !path.endsWith('.map') });
    for (const file of existsSync(join(root, key, 'build', 'Release')) ? readdirSync(join(root, key, 'build', 'Release')) : []) {
      if (file.endsWith('.node')) copy(`${key}/build/Release/${file}`);
    }
  } else {
    if (wanted.has(key)) continue;
    wanted.add(key);
    copy(key);
  }
  const lockEntry = lock[key] ?? {};
  for (const dependency of Object.keys({ ...lockEntry.dependencies, ...lockEntry.optionalDependencies })) {
    if (dependency.startsWith('@voxbus/')) continue; // workspace links: only the externals above
    if (BUILD_ONLY.some((prefix) => dependency.startsWith(prefix))) continue;
    queue.push([key, dependency]);
  }
}
// @voxbus/shared for the schemas' lookup.
mkdirSync(join(out, 'node_modules', '@voxbus'), { recursive: true });
if (!existsSync(join(out, 'node_modules', '@voxbus', 'shared'))) symlinkSync('../../shared', join(out, 'node_modules', '@voxbus', 'shared'));
writeFileSync(join(out, 'RUNTIME-FILES'), `${[...wanted].sort().join('\n')}\n`);
console.error(`[runtime-files] ${services.length} services, ${wanted.size} packages → ${out}`);
