import { rmSync, writeFileSync } from 'node:fs';
import type { Clock } from './clock.js';

/** What the health file says and how often it is rewritten. */
export interface HealthFileOptions {
  readonly path: string;
  readonly intervalMs: number;
  readonly clock: Clock;
  /** The services of this process and whether each one's bus is connected now. */
  readonly connected: () => ReadonlyArray<readonly [service: string, connected: boolean]>;
}

/**
 * A file a container engine or a supervisor can check for nearly nothing (`test`, `stat`, `grep`):
 * rewritten every `intervalMs` with `online` while every service of the process is connected to
 * the broker, `offline` otherwise, so its age says the event loop is alive and its first word says
 * the bus is up. Asking the broker instead (a Node process loading an MQTT client per check) cost
 * 0.8 s of CPU a check and timed out on a loaded board, which then refused to start the stack.
 */
export function startHealthFile(options: HealthFileOptions): { stop(): void } {
  const write = () => {
    const services = options.connected();
    const online = services.every(([, connected]) => connected);
    const detail = services.map(([service, connected]) => `${service}=${connected ? 'connected' : 'disconnected'}`).join(' ');
    try {
      writeFileSync(options.path, `${online ? 'online' : 'offline'} ${new Date(options.clock.nowMs()).toISOString()} ${detail}\n`);
    } catch {
      // An unwritable path only makes the check fail, which says what it must: look here.
    }
  };
  write();
  const timer = options.clock.setRepeating('health-file', options.intervalMs, write);
  return {
    stop: () => {
      timer.cancel();
      rmSync(options.path, { force: true });
    },
  };
}
