import { describe, expect, it } from 'vitest';
import type { CliMessage } from '../src/cli/cli-bus.js';
import { collect, type StatusBus } from '../src/cli/commands/status.js';

/** A bus the test delivers messages on, as the broker would after the subscription. */
class ScriptedBus implements StatusBus {
  private readonly handlers = new Set<(message: CliMessage) => void>();
  subscribed: string[] = [];

  onMessage(handler: (message: CliMessage) => void): () => void {
    this.handlers.add(handler);
    return () => this.handlers.delete(handler);
  }

  async subscribe(...paths: string[]): Promise<void> {
    this.subscribed.push(...paths);
  }

  status(service: string, retained = true): void {
    this.deliver(`${service}/status`, 'service.status', service, { status: 'online' }, retained);
  }

  metrics(service: string): void {
    this.deliver(`${service}/metrics`, 'service.metrics', service, { service, uptimeMs: 2000 }, false);
  }

  private deliver(path: string, key: CliMessage['key'], service: string, payload: unknown, retained: boolean): void {
    const message: CliMessage = { topic: `voxbus/${path}`, path, bytes: Buffer.from(JSON.stringify(payload)), retained, key, params: { service }, payload, error: undefined };
    for (const handler of this.handlers) handler(message);
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('voxbus status: collecting the services', () => {
  it('waits for the statuses that come after a live metrics sample, and for their metrics', async () => {
    const bus = new ScriptedBus();
    const rows = collect(bus, 5000);
    await sleep(0);
    // The broker's retained status and its live metrics first: a set complete so far, not the whole bus.
    bus.status('broker');
    bus.metrics('broker');
    bus.status('dsp');
    bus.status('playback');
    await sleep(50);
    bus.metrics('dsp');
    bus.metrics('playback');
    const collected = await rows;
    expect(bus.subscribed).toEqual(['+/status', '+/metrics']);
    expect(collected.map((row) => [row.service, row.metrics !== undefined])).toEqual([
      ['broker', true],
      ['dsp', true],
      ['playback', true],
    ]);
  });

  it('gives what it has once the wait is over: an online service without metrics is shown without them', async () => {
    const bus = new ScriptedBus();
    const rows = collect(bus, 600);
    await sleep(0);
    bus.status('broker');
    bus.metrics('broker');
    bus.status('lcd');
    const collected = await rows;
    expect(collected.map((row) => [row.service, row.metrics !== undefined])).toEqual([
      ['broker', true],
      ['lcd', false],
    ]);
  });
});
