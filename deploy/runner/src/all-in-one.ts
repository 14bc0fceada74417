import { pathToFileURL } from 'node:url';
import { type AnyServiceDefinition, runServices } from '@voxbus/shared';
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
export async function runAllInOne(services: readonly ServiceEntry[], extra: readonly SupervisedCommand[] = []): Promise<void> {
  const inside = services.filter((service) => service.definition !== undefined);
  for (const service of services.filter((s) => s.definition === undefined)) {
    console.error(`[runner] ${service.name} has no service.js beside ${service.main}: it cannot run inside one process; start it on its own`);
  }
  if (inside.length === 0) {
    console.error('[runner] nothing to run in one process');
    process.exit(2);
  }
  const definitions: AnyServiceDefinition[] = [];
  for (const service of inside) {
    const module = (await import(pathToFileURL(service.definition as string).href)) as { service?: AnyServiceDefinition };
    if (module.service === undefined || typeof module.service.start !== 'function') {
      console.error(`[runner] ${service.definition} exports no service definition (\`export const service = defineService(…)\`)`);
      process.exit(2);
    }
    definitions.push(module.service);
  }
  if (extra.length > 0) {
    // Mosquitto as the broker: a process beside this one, supervised from it, gone with it (the
    // services' stop has published their `offline` by the time the process exits).
    const beside = new Supervisor(extra, 1000);
    void beside.run();
    process.on('exit', () => beside.killAll());
  }
  console.error(`[runner] all-in-one: ${inside.map((service) => service.name).join(', ')} in process ${process.pid}`);
  await runServices(definitions);
}
