import { readFileSync } from 'node:fs';

/** The service that stands in for the cloud model when there is no key. */
export const SIMULATOR = 'realtime-sim';

/**
 * Whether the gateway, as configured, talks to the local simulator: its provider is `sim`, or
 * `auto` with no API key (the gateway's own rule). Read from the same places the gateway reads
 * (the `VOXBUS_CONFIG` file's `realtime-gateway` section, then the environment) without loading
 * the gateway: on a board with a key the simulator is not started (55–59 MiB saved). The
 * gateway still validates its configuration and says what is wrong with it.
 */
export function simulatorNeeded(env: Readonly<Record<string, string | undefined>>): boolean {
  let provider = 'auto';
  let apiKey = '';
  const file = env.VOXBUS_CONFIG;
  if (file) {
    try {
      const section = (JSON.parse(readFileSync(file, 'utf8')) as Record<string, { provider?: unknown; apiKey?: unknown } | undefined>)['realtime-gateway'];
      if (typeof section?.provider === 'string') provider = section.provider;
      if (typeof section?.apiKey === 'string') apiKey = section.apiKey;
    } catch {
      // An unreadable file is the services' to report (each says so and exits as misconfigured).
    }
  }
  provider = env.VOXBUS_REALTIME_GATEWAY__PROVIDER ?? provider;
  apiKey = env.VOXBUS_REALTIME_GATEWAY__API_KEY ?? apiKey;
  return provider === 'sim' || (provider === 'auto' && apiKey === '');
}
