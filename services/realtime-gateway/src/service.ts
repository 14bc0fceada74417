import { defineService, packageVersion } from '@voxbus/shared';
import { GATEWAY_DEFAULTS, GatewayConfigSchema } from './config.js';
import { azureIdentityTokens } from './credentials.js';
import { resolveEndpoint } from './endpoint.js';
import { wireGatewayBus } from './gateway-bus.js';
import { RealtimeGateway } from './realtime-gateway.js';
import { renderSessionUpdate } from './session-render.js';

/** The realtime-gateway service's definition: run alone by main.ts, or with others in one process (all-in-one). */
export const service = defineService({
  name: 'realtime-gateway',
  version: packageVersion(import.meta.url),
  configSchema: GatewayConfigSchema,
  configDefaults: GATEWAY_DEFAULTS,
  async start({ config, log, bus, clock, metrics }) {
    const endpoint = resolveEndpoint(config);
    // Renders once now: a feature the provider lacks is a configuration error at start, not later.
    renderSessionUpdate(config, endpoint.dialect, endpoint.provider);
    if (endpoint.simulated) {
      log.warn({ url: endpoint.url }, 'no API key configured: using the local realtime simulator (set VOXBUS_REALTIME_GATEWAY__API_KEY for the real model)');
    }
    const tokens = endpoint.entraScope !== undefined ? azureIdentityTokens() : undefined;
    const gateway = new RealtimeGateway({ config, endpoint, bus, clock, log, metrics, ...(tokens ? { tokens } : {}) });
    const wiring = wireGatewayBus(bus, gateway, log);
    gateway.start();
    return {
      stop: async () => {
        await wiring.stop();
        await gateway.stop();
      },
    };
  },
});
