import { describe, expect, it } from 'vitest';
import { cleanupAfterEach } from '../helpers/cleanup.js';
import { waitForPort } from '../helpers/ports.js';
import { spawnNode, stackPorts, startRunner } from '../helpers/processes.js';

const onCleanup = cleanupAfterEach();

describe('voxbus-health (the container health check)', () => {
  it('passes for a running service and fails, saying why, for one that is not there', async () => {
    const ports = await stackPorts();
    const runner = startRunner(['broker'], ports.env);
    onCleanup(() => runner.stop('SIGKILL'));
    await waitForPort(ports.tcpPort, 15_000);

    const check = async (service: string) => {
      const run = spawnNode('shared/dist/cli/healthcheck.js', [service, '2000'], ports.env);
      return { code: await run.exited, output: run.lines.join('\n') };
    };
    let healthy = await check('broker');
    for (let attempt = 0; healthy.code !== 0 && attempt < 20; attempt++) healthy = await check('broker');
    expect(healthy.code).toBe(0);
    expect(healthy.output).toMatch(/broker online since/);

    const missing = await check('dsp');
    expect(missing.code).toBe(1);
    expect(missing.output).toMatch(/unhealthy: no status from dsp within 2000 ms/);
  });
});
