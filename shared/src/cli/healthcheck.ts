#!/usr/bin/env node
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { Type } from '@sinclair/typebox';
import { MqttBus } from '../bus/mqtt-bus.js';
import { errorMessage } from '../errors.js';
import { busLogin, loadConfig } from '../runtime/config.js';
import { createLogger } from '../runtime/logger.js';

/**
 * Container health check: healthy when the service's retained status says `online` and was
 * published from this host (this container), read through the broker like any consumer would.
 * Usage: voxbus-health <service> [timeoutMs]
 */
const [service, timeoutArg] = process.argv.slice(2);
if (!service) {
  console.error('usage: voxbus-health <service> [timeoutMs]');
  process.exit(2);
}
const timeoutMs = Number(timeoutArg ?? 3000);

async function check(name: string): Promise<string> {
  const { common } = loadConfig({ service: 'healthcheck', schema: Type.Object({}), defaults: {} });
  const bus = new MqttBus({
    url: common.bus.url,
    ...busLogin(common.bus),
    baseTopic: common.bus.baseTopic,
    // Under access rules a client id starts with its login: `{service}` in bus.username is this tool's name then.
    clientId: `${common.bus.username ?? 'health'}-health-${randomBytes(4).toString('hex')}`,
    log: createLogger('healthcheck', 'error'),
  });
  try {
    const status = new Promise<string>((resolve, reject) => {
      bus.subscribe('healthcheck', 'service.status', { service: name }, ({ payload }) => {
        if (payload.status !== 'online') reject(new Error(`${name} is ${payload.status} (${payload.reason})`));
        else if (payload.host !== hostname()) reject(new Error(`${name} is online on ${payload.host}, not here (${hostname()})`));
        else resolve(`${name} online since ${payload.startedAt} (pid ${payload.pid})`);
      });
    });
    bus.connect();
    return await Promise.race([
      status,
      new Promise<string>((_, reject) => setTimeout(() => reject(new Error(`no status from ${name} within ${timeoutMs} ms`)), timeoutMs)),
    ]);
  } finally {
    await bus.close(500);
  }
}

check(service).then(
  (message) => {
    console.log(message);
    process.exit(0);
  },
  (error: unknown) => {
    console.error(`unhealthy: ${errorMessage(error)}`);
    process.exit(1);
  },
);
