import { defineService, packageVersion } from '@voxbus/shared';
import { GATEWAY_DEFAULTS, GatewayConfigSchema } from './config.js';
import { azureIdentityTokens } from './credentials.js';
import { resolveEndpoint } from './endpoint.js';
import { wireGatewayBus } from './gateway-bus.js';
import { LinkConnection, type LinkState } from './link-connection.js';
import { RealtimeLink } from './realtime-link.js';
import { renderSessionUpdate, type TurnMode } from './session-render.js';

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
    let patch: Record<string, unknown> = {};
    let turns: TurnMode | undefined;
    let sessionId: string | null = null;
    const publishState = (state: LinkState, reason: string | null, attempt: number) =>
      bus.publish('gateway.state', {}, {
        state,
        provider: endpoint.provider,
        dialect: endpoint.dialect,
        model: endpoint.model,
        sessionId,
        reason,
        attempt,
        sinceMs: clock.nowMs(),
      });
    // The link and the connection refer to each other through these two closures.
    let connection: LinkConnection | undefined;
    const link = new RealtimeLink({
      dialect: endpoint.dialect,
      bus,
      clock,
      log: log.child({ module: 'link' }),
      metrics,
      sessionUpdate: () => renderSessionUpdate(config, endpoint.dialect, endpoint.provider, patch, turns),
      send: (text) => connection?.send(text) ?? false,
      appendBatchMs: config.appendBatchMs,
      frameMs: 20,
      toolTimeoutMs: config.toolTimeoutMs,
    });
    connection = new LinkConnection({
      endpoint,
      clock,
      log: log.child({ module: 'connection' }),
      metrics,
      keepaliveMs: config.keepaliveMs,
      reconnectInitialMs: config.reconnectInitialMs,
      reconnectMaxMs: config.reconnectMaxMs,
      sessionRotateMs: config.sessionRotateMs,
      maxMessageBytes: config.maxMessageBytes,
      onOpen: () => {
        sessionId = null;
        link.connectionOpened();
      },
      onMessage: (text) => {
        link.receive(text);
        if (link.session !== sessionId) {
          sessionId = link.session;
          publishState('connected', null, 0);
        }
      },
      onState: publishState,
      ...(endpoint.entraScope !== undefined ? { tokens: azureIdentityTokens() } : {}),
    });
    const wiring = wireGatewayBus(bus, {
      link,
      connected: () => connection?.connected ?? false,
      reconnect: () => connection?.reconnect('reconnect command'),
      disconnect: () => void connection?.disconnect('disconnect command'),
      setTurns: (next) => (turns = next),
      patchSession: (next) => (patch = { ...patch, ...next }),
      log,
    });
    connection.start();
    return {
      stop: async () => {
        await wiring.stop();
        await connection?.stop();
      },
    };
  },
});
