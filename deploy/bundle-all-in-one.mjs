// All-in-one mode's services, bundled together with code splitting: each service's definition
// (services/<name>/dist/service.js) becomes services/<name>/dist/all-in-one.mjs, and what they
// have in common (the shared library, TypeBox, Ajv, ws, mqtt…) goes into chunks under
// deploy/runner/dist/all-in-one/, loaded once. The library's own entry (shared.mjs there) is
// what the runner takes runServices from, so the services and their host share one copy of it.
// Unbundled, one process loaded about 430 modules, and the runner had no use for the bundles
// the services start from in multi-process mode (each holds its own copy of the library).
//
// Each entry is written beside its service's own build, because a service finds files next to
// its module (`../package.json` for its version, the broker's monitor page): code that does so
// must stay in its entry, never in a chunk, and the build fails if it would not.
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { build } from 'esbuild';
import { EXTERNAL } from './bundle-externals.mjs';
import { assertAsciiOutputs, SOURCE_FORM } from './bundle-source.mjs';

/** Where the chunks and the manifest go (the runner reads the manifest: deploy/runner/src/all-in-one-bundle.ts). */
export const ALL_IN_ONE_DIR = join('deploy', 'runner', 'dist', 'all-in-one');

/** @param {string} root the repository @param {string[]} serviceDirs @param {string} banner */
export async function bundleAllInOne(root, serviceDirs, banner) {
  const definitions = serviceDirs
    .filter((dir) => existsSync(join(dir, 'dist', 'service.js')))
    .map((dir) => ({ name: JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')).voxbus.service, dir }));
  const outDir = join(root, ALL_IN_ONE_DIR);
  rmSync(outDir, { recursive: true, force: true });
  const entryPoints = Object.fromEntries([
    ...definitions.map(({ dir }) => [join(relative(root, dir), 'dist', 'all-in-one'), join(dir, 'dist', 'service.js')]),
    [join(ALL_IN_ONE_DIR, 'shared'), join(root, 'shared', 'dist', 'index.js')],
  ]);
  const result = await build({
    entryPoints,
    outdir: root,
    outExtension: { '.js': '.mjs' },
    chunkNames: join(ALL_IN_ONE_DIR, '[name]-[hash]'),
    bundle: true,
    splitting: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    external: EXTERNAL,
    banner: { js: banner },
    logLevel: 'warning',
    metafile: true,
    // Maps beside each output, not named in it (nothing loads them at run time, the image leaves
    // them out): bench:footprint reads them to say which source a CPU profile's samples ran in.
    sourcemap: 'external',
    sourcesContent: false,
    ...SOURCE_FORM,
  });
  assertAsciiOutputs(root, Object.keys(result.metafile.outputs));
  // A module that finds files beside itself, placed in a chunk, would look in the wrong folder.
  // (Finding a package, `createRequire(import.meta.url)`, finds the same node_modules from there.)
  for (const [output, { inputs }] of Object.entries(result.metafile.outputs)) {
    if (!output.startsWith(ALL_IN_ONE_DIR)) continue;
    for (const input of Object.keys(inputs)) {
      const source = readFileSync(join(root, input), 'utf8').replaceAll('createRequire(import.meta.url)', '');
      if (/import\.meta\.url/.test(source) && !input.includes('node_modules')) {
        throw new Error(`bundle (all-in-one): ${input} uses import.meta.url but landed in the shared chunk ${output}; keep it in one service`);
      }
    }
  }
  // Paths relative to the repository, as the runner resolves them.
  const manifest = {
    services: Object.fromEntries(definitions.map(({ name, dir }) => [name, join(relative(root, dir), 'dist', 'all-in-one.mjs')])),
    shared: join(ALL_IN_ONE_DIR, 'shared.mjs'),
  };
  writeFileSync(join(outDir, 'manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`);
  const bytes = Object.entries(result.metafile.outputs).reduce((sum, [name, output]) => sum + (name.endsWith('.map') ? 0 : output.bytes), 0);
  return `all-in-one ${definitions.length} services ${(bytes / 1024).toFixed(0)} KiB`;
}
