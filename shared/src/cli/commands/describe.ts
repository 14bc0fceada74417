import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import type { Payload } from '../../bus/bus.js';
import { BUS_OPTIONS, CliBus } from '../cli-bus.js';
import { positiveMs, UsageError } from './options.js';

/**
 * `voxbus describe <service>`: the service's version and effective configuration (secrets
 * replaced by "***"), asked on `<service>/req/describe` and printed as JSON.
 */
export async function describe(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({ args, allowPositionals: true, options: { ...BUS_OPTIONS, 'timeout-ms': { type: 'string' } } });
  const service = positionals[0];
  if (positionals.length !== 1 || service === undefined) throw new UsageError('voxbus describe: name one service (voxbus status lists them)');
  const timeoutMs = positiveMs(values['timeout-ms'], 3000, 'timeout-ms');
  const bus = await CliBus.connect({ url: values.url, baseTopic: values['base-topic'] });
  try {
    const requestId = `cli-${randomBytes(6).toString('hex')}`;
    const answer = new Promise<Payload<'service.describe.res'> | undefined>((resolve) => {
      const timer = setTimeout(() => resolve(undefined), timeoutMs);
      bus.onMessage((message) => {
        const response = message.payload as Payload<'service.describe.res'> | undefined;
        if (message.key !== 'service.describe.res' || message.params.service !== service || response?.requestId !== requestId) return;
        clearTimeout(timer);
        resolve(response);
      });
    });
    await bus.subscribe(`${service}/res/describe`);
    await bus.publish('service.describe.req', { service }, { requestId });
    const response = await answer;
    if (response === undefined) {
      const status = (await bus.retained(`${service}/status`)) as Payload<'service.status'> | undefined;
      const why = status === undefined ? 'no service of that name has said its status' : `its status is ${status.status} (${status.reason})`;
      console.error(`voxbus describe: ${service} did not answer within ${timeoutMs} ms: ${why}`);
      return 1;
    }
    if (!response.ok) {
      console.error(`voxbus describe: ${service} answered with an error: ${response.error.code}: ${response.error.message}`);
      return 1;
    }
    console.log(JSON.stringify(response.data, null, 2));
    return 0;
  } finally {
    await bus.close();
  }
}
