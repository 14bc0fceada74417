import { randomBytes } from 'node:crypto';
import { busLogin, type CommonConfig, errorMessage, HOME_ASSISTANT_PREFIX, type Logger } from '@voxbus/shared';
import mqtt from 'mqtt';
import type { DiscoveryPort } from './bridge.js';

/**
 * The discovery configs live outside the base topic, in Home Assistant's own namespace, which the
 * contract's bus does not publish to: a connection of their own, with the service's login (the
 * broker lets the home-assistant login publish under `homeassistant/`).
 */
export async function connectDiscovery(common: CommonConfig, log: Logger): Promise<DiscoveryPort & { close(): Promise<void> }> {
  const { username, password, ca } = busLogin(common.bus);
  const client = mqtt.connect(common.bus.url, {
    ...(username === undefined ? {} : { username, password: password ?? '' }),
    ...(ca === undefined ? {} : { ca }),
    clientId: `${username ?? 'home-assistant'}-discovery-${randomBytes(3).toString('hex')}`,
    protocolVersion: 4,
    clean: true,
    reconnectPeriod: 1000,
    connectTimeout: 5000,
  });
  client.on('error', (error) => log.warn({ err: errorMessage(error) }, 'discovery connection: error'));
  await new Promise<void>((resolve) => client.once('connect', () => resolve()));
  const listeners: (() => void)[] = [];
  const statusTopic = `${HOME_ASSISTANT_PREFIX}/status`;
  client.on('message', (topic, payload) => {
    if (topic === statusTopic && payload.toString() === 'online') for (const listener of listeners) listener();
  });
  await client.subscribeAsync(statusTopic, { qos: 1 });
  return {
    async publish(topic, config) {
      await client.publishAsync(topic, config === undefined ? Buffer.alloc(0) : JSON.stringify(config), { qos: 1, retain: true });
    },
    onHomeAssistantOnline(listener) {
      listeners.push(listener);
    },
    close: () => client.endAsync(),
  };
}
