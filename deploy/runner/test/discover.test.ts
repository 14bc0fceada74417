import { mkdirSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { discoverServices, type ServiceEntry, selectServices } from '../src/discover.js';
import { tempDir } from '../../../test/helpers/temp-dir.js';

/** A services folder with one built service, `echo`, whose files carry the given ages (s). */
function servicesFolder(files: Partial<Record<'main.js' | '.tsbuildinfo' | 'bundle.mjs' | 'service.js' | 'all-in-one.mjs', number | undefined>>): string {
  const root = tempDir('discover');
  const dist = join(root, 'echo', 'dist');
  mkdirSync(dist, { recursive: true });
  writeFileSync(join(root, 'echo', 'package.json'), JSON.stringify({ main: 'dist/main.js', voxbus: { service: 'echo' } }));
  const nowS = Date.now() / 1000;
  for (const [file, ageS] of Object.entries(files)) {
    if (ageS === undefined) continue;
    writeFileSync(join(dist, file), '');
    utimesSync(join(dist, file), nowS - ageS, nowS - ageS);
  }
  return root;
}

describe('the runner starts a service from its bundle only when the bundle is current', () => {
  it('takes the bundle built after the last compile', () => {
    const root = servicesFolder({ 'main.js': 60, '.tsbuildinfo': 60, 'bundle.mjs': 30 });
    expect(discoverServices([root]).services[0]?.main).toBe(join(root, 'echo', 'dist', 'bundle.mjs'));
  });

  it('takes the compiled entry point when a compile came after the bundle (tsc --build alone)', () => {
    const root = servicesFolder({ 'main.js': 10, '.tsbuildinfo': 10, 'bundle.mjs': 60 });
    expect(discoverServices([root]).services[0]?.main).toBe(join(root, 'echo', 'dist', 'main.js'));
  });

  it('takes the entry point when there is no bundle, and the bundle when no compile record is kept (an image)', () => {
    expect(discoverServices([servicesFolder({ 'main.js': 10, '.tsbuildinfo': 10, 'bundle.mjs': undefined })]).services[0]?.main).toMatch(/main\.js$/);
    expect(discoverServices([servicesFolder({ 'main.js': 10, '.tsbuildinfo': undefined, 'bundle.mjs': 60 })]).services[0]?.main).toMatch(/bundle\.mjs$/);
  });

  it('finds a service from its bundles alone, as the image holds it: the all-in-one build is its definition', () => {
    const root = servicesFolder({ 'bundle.mjs': 60, 'all-in-one.mjs': 60 });
    const found = discoverServices([root]);
    expect(found.problems).toEqual([]);
    expect(found.services[0]).toMatchObject({ main: join(root, 'echo', 'dist', 'bundle.mjs'), definition: join(root, 'echo', 'dist', 'all-in-one.mjs') });
    // In a checkout the compiled definition is the one (the all-in-one build may be stale).
    expect(discoverServices([servicesFolder({ 'main.js': 10, 'service.js': 10, 'all-in-one.mjs': 60 })]).services[0]?.definition).toMatch(/service\.js$/);
  });

  it('reports a service with neither a compiled entry point nor a bundle', () => {
    const found = discoverServices([servicesFolder({ 'all-in-one.mjs': 60 })]);
    expect(found.services).toEqual([]);
    expect(found.problems).toEqual([expect.stringMatching(/service echo has no build at .*main\.js/)]);
  });
});

describe('the runner leaves an opt-in service out unless asked for it', () => {
  const entry = (name: string, optIn?: string): ServiceEntry => ({ name, main: `/x/${name}.js`, definition: undefined, startOrder: 10, optIn });
  const services = [entry('dsp'), entry('home-assistant', 'VOXBUS_HOME_ASSISTANT__ENABLED')];
  const names = (selected: { selected: ServiceEntry[] }) => selected.selected.map((s) => s.name);

  it('runs it when its setting is there (true or false: false removes what it published), or when it is named', () => {
    expect(names(selectServices(services, undefined, {}))).toEqual(['dsp']);
    expect(names(selectServices(services, undefined, { VOXBUS_HOME_ASSISTANT__ENABLED: 'true' }))).toEqual(['dsp', 'home-assistant']);
    expect(names(selectServices(services, undefined, { VOXBUS_HOME_ASSISTANT__ENABLED: 'false' }))).toEqual(['dsp', 'home-assistant']);
    expect(names(selectServices(services, ['home-assistant'], {}))).toEqual(['home-assistant']);
  });
});

describe('an opted-in stand-in runs in place of the services it replaces', () => {
  const entry = (name: string, extra: Partial<ServiceEntry> = {}): ServiceEntry => ({ name, main: `/x/${name}.js`, definition: undefined, startOrder: 10, optIn: undefined, ...extra });
  const services = [
    entry('audio-capture'),
    entry('dsp'),
    entry('playback'),
    entry('telephony-bridge', { optIn: 'VOXBUS_TELEPHONY_BRIDGE__ENABLED', replaces: ['audio-capture', 'playback'] }),
  ];
  const names = (selected: { selected: ServiceEntry[] }) => selected.selected.map((s) => s.name);

  it('the telephony bridge, when its setting is there, instead of audio-capture and playback; all of them when named', () => {
    expect(names(selectServices(services, undefined, {}))).toEqual(['audio-capture', 'dsp', 'playback']);
    expect(names(selectServices(services, undefined, { VOXBUS_TELEPHONY_BRIDGE__ENABLED: 'true' }))).toEqual(['dsp', 'telephony-bridge']);
    expect(names(selectServices(services, ['dsp', 'telephony-bridge'], {}))).toEqual(['dsp', 'telephony-bridge']);
  });
});
