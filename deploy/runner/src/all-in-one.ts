import { pathToFileURL } from 'node:url';
import type { AnyServiceDefinition, runServices } from '@voxbus/shared';
import { allInOneBundle } from './all-in-one-bundle.js';
import type { ServiceEntry } from './discover.js';
import { type SupervisedCommand, Supervisor } from './supervisor.js';

/**
 * Every chosen service as an actor inside this one process (the smallest boards: one Node
 * instead of seven). Each still talks to the others only over MQTT, through the broker among
 * them, so outside subscribers see the same topics and any service can still be replaced: a
 * service run on its own is simply not chosen here. A service folder without a definition
 * module (a service of the user's own, in another language) cannot run inside: it is named,
 * and left for the user to start. `extra` commands (Mosquitto as the broker) run beside it.
 */
export async function runAllInOne(services: readonly ServiceEntry[], repoRoot: string, extra: readonly SupervisedCommand[] = []): Promise<void> {
  const inside = services.filter((service) => service.definition !== undefined);
  for (const service of services.filter((s) => s.definition === undefined)) {
    console.error(`[runner] ${service.name} has no service.js beside ${service.main}: it cannot run inside one process; start it on its own`);
  }
  if (inside.length === 0) {
    console.error('[runner] nothing to run in one process');
    process.exit(2);
  }
  // The services built together (one copy of what they share, a few modules instead of ~430)
  // when that build is there and current, else each from its own compiled folder.
  const bundle = allInOneBundle(repoRoot, inside);
  const definitions: AnyServiceDefinition[] = [];
  for (const service of inside) {
    const path = bundle?.definitions.get(service.name) ?? (service.definition as string);
    const module = (await import(pathToFileURL(path).href)) as { service?: AnyServiceDefinition };
    if (module.service === undefined || typeof module.service.start !== 'function') {
      console.error(`[runner] ${path} exports no service definition (\`export const service = defineService(…)\`)`);
      process.exit(2);
    }
    definitions.push(module.service);
  }
  const host = (await import(bundle ? pathToFileURL(bundle.shared).href : '@voxbus/shared')) as { runServices: typeof runServices };
  if (extra.length > 0) {
    // Mosquitto as the broker: a process beside this one, supervised from it, gone with it (the
    // services' stop has published their `offline` by the time the process exits).
    const beside = new Supervisor(extra, 1000);
    void beside.run();
    process.on('exit', () => beside.killAll());
  }
  const built = bundle ? ` (built together: ${[...bundle.definitions.keys()].join(', ')})` : '';
  console.error(`[runner] all-in-one: ${inside.map((service) => service.name).join(', ')} in process ${process.pid}${built}`);
  await host.runServices(definitions);
}
