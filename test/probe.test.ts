import { waitForPort } from '@voxbus/shared/testing';
import { describe, expect, it } from 'vitest';
import { cleanupAfterEach } from './helpers/cleanup.js';
import { waitFor } from './helpers/wait.js';
import { Probe } from './helpers/probe.js';
import { stackPorts, startRunner } from './helpers/processes.js';

const onCleanup = cleanupAfterEach();

describe("the tests' probe on the bus", () => {
  it('survives its connection being cut (no bare uncaught ECONNRESET) and says so when a wait then fails', async () => {
    const ports = await stackPorts();
    const runner = startRunner(['broker'], ports.env);
    onCleanup(() => runner.stop('SIGKILL'));
    await waitForPort(ports.tcpPort, 15_000);
    const probe = await Probe.connect(ports.url, { reconnectPeriod: 0 });
    onCleanup(() => probe.close());
    await probe.subscribe('voxbus/#');
    // The broker dies under it: the socket is reset.
    await runner.stop('SIGKILL');
    await waitFor('the probe to notice', () => probe.drops.length > 0, 5000);
    const failure = await probe.waitForJson('voxbus/conversation/state', () => true, 500).catch((error: Error) => error.message);
    expect(failure).toMatch(/timed out after 500 ms waiting for a message on voxbus\/conversation\/state \(the probe's connection to the broker dropped/);
  });
});
