import { openSync, readFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../src/runtime/logger.js';
import { notifyReadyWhenConnected, type ReadyBus } from '../src/runtime/ready-fd.js';
import { tempDir } from '../../test/helpers/temp-dir.js';

/** A bus whose connection the test turns on and off, with the listeners a real one keeps. */
class SwitchedBus implements ReadyBus {
  connected = false;
  private readonly listeners = new Set<(connected: boolean) => void>();
  onConnectionChange(listener: (connected: boolean) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
  set(connected: boolean): void {
    this.connected = connected;
    for (const listener of this.listeners) listener(connected);
  }
  get listening(): number {
    return this.listeners.size;
  }
}

const settle = () => new Promise((resolve) => setTimeout(resolve, 50));
const quiet = createLogger('test', 'silent');

describe('telling the supervisor the process is ready (VOXBUS_READY_FD)', () => {
  it('writes `ready` once every bus of the process is connected, once, and closes the descriptor', async () => {
    const path = join(tempDir('ready-fd'), 'said');
    const fd = openSync(path, 'w');
    const broker = new SwitchedBus();
    const dsp = new SwitchedBus();
    notifyReadyWhenConnected(fd, [broker, dsp], quiet);
    broker.set(true);
    await settle();
    expect(readFileSync(path, 'utf8'), 'said ready with one bus of two connected').toBe('');
    dsp.set(true);
    await settle();
    expect(readFileSync(path, 'utf8')).toBe('ready\n');
    expect(broker.listening + dsp.listening, 'still listening after it said so').toBe(0);
    dsp.set(false);
    dsp.set(true);
    await settle();
    expect(readFileSync(path, 'utf8'), 'said twice').toBe('ready\n');
    expect(() => writeSync(fd, 'x'), 'the descriptor is still open').toThrow(/EBADF/);
  });

  it('says it at once when the buses are connected already, and survives a descriptor that is not open', async () => {
    const path = join(tempDir('ready-fd'), 'said');
    const fd = openSync(path, 'w');
    const bus = new SwitchedBus();
    bus.set(true);
    notifyReadyWhenConnected(fd, [bus], quiet);
    await settle();
    expect(readFileSync(path, 'utf8')).toBe('ready\n');
    // Far above any descriptor this process has open (a closed one's number could be reused meanwhile).
    const notOpen = 1_000_000;
    const lines: string[] = [];
    const log = createLogger('test', 'warn', [], { write: (line: string) => void lines.push(line) });
    notifyReadyWhenConnected(notOpen, [bus], log);
    await settle();
    expect(lines.join(''), 'no word of the descriptor it could not write').toMatch(/could not tell the supervisor/);
    expect(lines.join('')).toMatch(/EBADF/);
  });
});
