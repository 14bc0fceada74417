import { defineService, packageVersion } from '@voxbus/shared';
import { startBridge } from './bridge.js';
import { HOME_ASSISTANT_DEFAULTS, HomeAssistantConfigSchema } from './config.js';
import { connectDiscovery } from './discovery-port.js';

/** The home-assistant service's definition: run alone by main.ts, or with others in one process (all-in-one). */
export const service = defineService({
  name: 'home-assistant',
  version: packageVersion(import.meta.url),
  configSchema: HomeAssistantConfigSchema,
  configDefaults: HOME_ASSISTANT_DEFAULTS,
  async start({ config, common, log, bus, clock, metrics, version }) {
    const discovery = await connectDiscovery(common, log);
    const bridge = await startBridge(config, { bus, discovery, log, metrics, version, nowMs: () => clock.nowMs() });
    return {
      async stop() {
        bridge.stop();
        await discovery.close();
      },
    };
  },
});
