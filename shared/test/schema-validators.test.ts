import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Ajv } from 'ajv';
import { describe, expect, it } from 'vitest';
import { CONTRACT } from '@voxbus/shared';
import { PRECOMPILED } from '../generated/schema-validators.js';
import { AJV_OPTIONS, schemaKey } from '../src/contract/validate.js';
import { configSchemaFor } from '../src/runtime/config.js';
import { COMMON_DEFAULTS } from '../src/runtime/common-config.js';

// The validators `npm run build` compiles (shared/scripts/compile-schema-validators.mjs), so that
// no service compiles one when it starts. Run `npm run build` if these fail after a schema change.

const jsonSpecs = Object.entries(CONTRACT).filter(([, spec]) => spec.kind === 'json') as [string, { schema: Parameters<typeof schemaKey>[0] }][];

async function serviceDefinitions(): Promise<{ folder: string; name: string; configSchema: Parameters<typeof configSchemaFor>[1]; configDefaults: unknown }[]> {
  const root = join(import.meta.dirname, '..', '..', 'services');
  const found = [];
  for (const folder of readdirSync(root)) {
    try {
      const module = (await import(pathToFileURL(join(root, folder, 'src', 'service.ts')).href)) as { service?: { name: string; configSchema: never; configDefaults: unknown } };
      if (module.service) found.push({ folder, ...module.service });
    } catch {
      // no definition module: a service that cannot run inside another process (telephony-bridge)
    }
  }
  return found;
}

describe('validators compiled at build time', () => {
  it('cover every JSON payload of the contract', () => {
    const missing = jsonSpecs.filter(([, spec]) => !Object.hasOwn(PRECOMPILED, schemaKey(spec.schema))).map(([key]) => key);
    expect(missing, 'contract keys without a build-time validator').toEqual([]);
  });

  it('cover every service’s configuration as loadConfig builds it', async () => {
    const services = await serviceDefinitions();
    expect(services.length).toBeGreaterThanOrEqual(8);
    const missing = services.filter((service) => !Object.hasOwn(PRECOMPILED, schemaKey(configSchemaFor(service.name, service.configSchema)))).map((service) => service.name);
    expect(missing, 'services whose configuration has no build-time validator').toEqual([]);
  });

  it("come for each service's bundle as the contract's and its own configuration's, no other service's", async () => {
    const services = await serviceDefinitions();
    const contractKeys = jsonSpecs.map(([, spec]) => schemaKey(spec.schema));
    for (const service of services) {
      const own = ((await import(pathToFileURL(join(import.meta.dirname, '..', 'generated', 'by-service', `${service.folder}.js`)).href)) as { PRECOMPILED: Record<string, unknown> }).PRECOMPILED;
      const ownConfig = schemaKey(configSchemaFor(service.name, service.configSchema));
      expect(Object.keys(own).sort(), `shared/generated/by-service/${service.folder}.js`).toEqual([...new Set([...contractKeys, ownConfig])].sort());
    }
  });

  it('find exactly what Ajv compiled at run time finds, on good and bad values', async () => {
    const ajv = new Ajv(AJV_OPTIONS);
    const verdicts = (schema: Parameters<typeof schemaKey>[0], value: unknown) => {
      const built = PRECOMPILED[schemaKey(schema)] as ((data: unknown) => boolean) & { errors?: unknown };
      const fresh = ajv.compile(schema);
      return [[built(value), built.errors ?? null], [fresh(value), fresh.errors ?? null]];
    };
    const status = CONTRACT['service.status'].schema;
    const good = { status: 'online', reason: 'running', service: 'dsp', version: '1', startedAt: '2026-11-28T12:00:00.000Z', pid: 1, host: 'board' };
    for (const value of [good, { ...good, status: 'sleeping', extra: 1 }, { ...good, pid: -1 }, null, 'online']) {
      const [built, fresh] = verdicts(status, value);
      expect(built).toEqual(fresh);
    }
    const [dsp] = (await serviceDefinitions()).filter((service) => service.name === 'dsp');
    const config = configSchemaFor('dsp', dsp?.configSchema as never);
    const defaults = { ...COMMON_DEFAULTS, dsp: dsp?.configDefaults };
    for (const value of [defaults, { ...defaults, dsp: { ...(dsp?.configDefaults as object), unknownSetting: true } }, { ...defaults, bus: { url: 7 } }]) {
      const [built, fresh] = verdicts(config, value);
      expect(built).toEqual(fresh);
      expect(built?.[0]).toBe(value === defaults);
    }
  });
});
