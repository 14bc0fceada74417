#!/usr/bin/env node
// Bundles each service's compiled entry point (services/<name>/dist/main.js) into one file,
// dist/bundle.mjs beside it, which the runner starts when it is there: one module to load
// instead of hundreds (TypeBox's alone cost 133 ms of a start here), and only what the service
// uses. The sources and the unbundled build stay as they are (tests). All-in-one mode has its
// own build, the services split into chunks they share (bundle-all-in-one.mjs).
//
// Left outside the bundle, loaded from node_modules as before: the native addons (their .node
// files are found relative to their own modules), pino (its transports are files of its own),
// aedes (the broker turns off the number cache of aedes' own mqtt-packet), and ws's optional
// native helpers.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { bundleAllInOne } from './bundle-all-in-one.mjs';
import { EXTERNAL } from './bundle-externals.mjs';
import { assertAsciiOutputs, SOURCE_FORM } from './bundle-source.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
// CommonJS packages inside an ES module bundle still call require() for Node's own modules.
const BANNER = "import { createRequire as __voxbusCreateRequire } from 'node:module'; const require = __voxbusCreateRequire(import.meta.url);";

const services = readdirSync(join(root, 'services'), { withFileTypes: true })
  .filter((entry) => entry.isDirectory())
  .map((entry) => join(root, 'services', entry.name))
  .filter((dir) => existsSync(join(dir, 'package.json')) && JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')).voxbus?.service);

/** The service's entry point (dist/bundle.mjs), and its command-line tools (`voxbus.tools`: dist/<tool>.mjs). */
const entries = services.flatMap((dir) => {
  const tools = Object.values(JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')).voxbus?.tools ?? {});
  return [
    { dir, name: dir.split('/').pop(), entry: join(dir, 'dist', 'main.js'), outfile: join(dir, 'dist', 'bundle.mjs'), plugins: [ownValidators(dir)] },
    ...tools.map((tool) => ({ dir, name: `${dir.split('/').pop()}/${tool}`, entry: join(dir, 'dist', `${tool}.js`), outfile: join(dir, 'dist', `${tool}.mjs`) })),
  ];
});

/**
 * A service's bundle takes the validators of the contract and of its own configuration only
 * (shared/generated/by-service/<name>.js, when the build wrote one), not every service's.
 */
function ownValidators(serviceDir) {
  const own = join(root, 'shared', 'generated', 'by-service', `${serviceDir.split('/').pop()}.js`);
  return {
    name: 'own-validators',
    setup(build) {
      if (!existsSync(own)) return;
      build.onResolve({ filter: /\/generated\/schema-validators\.js$/ }, () => ({ path: own }));
    },
  };
}

/** `@voxbus/shared` itself left outside a bundle, its subpaths (`@voxbus/shared/process`) not. */
const sharedHostOutside = {
  name: 'shared-host-outside',
  setup(build) {
    build.onResolve({ filter: /^@voxbus\/shared$/ }, ({ path }) => ({ path, external: true }));
  },
};

// The voxbus command line (shared/dist/cli/voxbus.js), for the image's `voxbus`.
entries.push({ dir: join(root, 'shared'), name: 'voxbus (command line)', entry: join(root, 'shared', 'dist', 'cli', 'voxbus.js'), outfile: join(root, 'shared', 'dist', 'cli', 'voxbus.mjs') });
// The runner, for the image's all-in-one container: it runs the all-in-one build, so the shared
// library it would import without one stays outside (its small `process` part is inside).
entries.push({ dir: join(root, 'deploy', 'runner'), name: 'runner', entry: join(root, 'deploy', 'runner', 'dist', 'main.js'), outfile: join(root, 'deploy', 'runner', 'dist', 'bundle.mjs'), plugins: [sharedHostOutside] });

const results = await Promise.all(
  entries.map(async ({ name, entry, outfile, plugins = [] }) => {
    if (!existsSync(entry)) throw new Error(`bundle: ${entry} is missing (run tsc --build first)`);
    const result = await build({
      entryPoints: [entry],
      outfile,
      bundle: true,
      platform: 'node',
      format: 'esm',
      target: 'node20',
      external: EXTERNAL,
      banner: { js: BANNER },
      logLevel: 'warning',
      metafile: true,
      plugins,
      ...SOURCE_FORM,
    });
    assertAsciiOutputs(root, Object.keys(result.metafile.outputs));
    const bytes = Object.values(result.metafile.outputs).reduce((sum, output) => sum + output.bytes, 0);
    return `${name} ${(bytes / 1024).toFixed(0)} KiB`;
  }),
);
results.push(await bundleAllInOne(root, services, BANNER));
console.error(`[bundle] ${results.join(', ')}`);
