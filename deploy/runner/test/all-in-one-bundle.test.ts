import { mkdirSync, utimesSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ALL_IN_ONE_MANIFEST, allInOneBundle } from '../src/all-in-one-bundle.js';
import type { ServiceEntry } from '../src/discover.js';
import { tempDir } from '../../../test/helpers/temp-dir.js';

/** A repository with services `echo` and `mirror` (and the library) compiled `compiledAgoS` ago, and (unless undefined) the all-in-one build `builtAgoS` ago. */
function repository(compiledAgoS: { echo: number; shared: number; mirror?: number }, builtAgoS: number | undefined): string {
  const root = tempDir('all-in-one-bundle');
  const nowS = Date.now() / 1000;
  const touch = (path: string, ageS: number, text = '') => {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), text);
    utimesSync(join(root, path), nowS - ageS, nowS - ageS);
  };
  touch('shared/dist/.tsbuildinfo', compiledAgoS.shared);
  for (const [name, ageS] of [['echo', compiledAgoS.echo], ['mirror', compiledAgoS.mirror ?? 60]] as const) {
    touch(`services/${name}/dist/service.js`, ageS);
    touch(`services/${name}/dist/.tsbuildinfo`, ageS);
  }
  if (builtAgoS !== undefined) {
    touch('deploy/runner/dist/all-in-one/shared.mjs', builtAgoS);
    for (const name of ['echo', 'mirror']) touch(`services/${name}/dist/all-in-one.mjs`, builtAgoS);
    const manifest = { services: { echo: 'services/echo/dist/all-in-one.mjs', mirror: 'services/mirror/dist/all-in-one.mjs' }, shared: 'deploy/runner/dist/all-in-one/shared.mjs' };
    touch(ALL_IN_ONE_MANIFEST, builtAgoS, JSON.stringify(manifest));
  }
  return root;
}

const entry = (root: string, name: string): ServiceEntry => ({ name, main: join(root, 'services', name, 'dist', 'main.js'), definition: join(root, 'services', name, 'dist', 'service.js'), startOrder: 10, optIn: undefined });

describe('all-in-one mode runs the services built together only when that build is current', () => {
  it('takes the bundled definitions and the bundled library when the build came after the last compile', () => {
    const root = repository({ echo: 60, shared: 60 }, 30);
    const bundle = allInOneBundle(root, [entry(root, 'echo'), entry(root, 'mirror')]);
    expect(bundle?.shared).toBe(join(root, 'deploy/runner/dist/all-in-one/shared.mjs'));
    expect(Object.fromEntries(bundle?.definitions ?? [])).toEqual({ echo: join(root, 'services/echo/dist/all-in-one.mjs'), mirror: join(root, 'services/mirror/dist/all-in-one.mjs') });
  });

  it('runs unbundled after a compile the build has not followed (the library’s, or a service’s)', () => {
    const afterShared = repository({ echo: 60, shared: 10 }, 30);
    expect(allInOneBundle(afterShared, [entry(afterShared, 'echo')])).toBeUndefined();
    const afterEcho = repository({ echo: 10, shared: 60 }, 30);
    const bundle = allInOneBundle(afterEcho, [entry(afterEcho, 'echo'), entry(afterEcho, 'mirror')]);
    expect([...(bundle?.definitions.keys() ?? [])]).toEqual(['mirror']);
  });

  it('does not take a built-in service’s build for a service of the same name found elsewhere, nor run one that is missing', () => {
    const root = repository({ echo: 60, shared: 60 }, 30);
    const elsewhere = tempDir('users-services');
    const users: ServiceEntry = { ...entry(root, 'echo'), definition: join(elsewhere, 'echo', 'dist', 'service.js') };
    expect(allInOneBundle(root, [users])).toBeUndefined();
    expect(allInOneBundle(repository({ echo: 60, shared: 60 }, undefined), [entry(root, 'echo')])).toBeUndefined();
  });
});
