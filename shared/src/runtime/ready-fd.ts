import { close, write } from 'node:fs';
import type { Logger } from './logger.js';

/** The setting a supervisor passes a process: the file descriptor it reads `ready` from. */
export const READY_FD_ENV = 'VOXBUS_READY_FD';

/** A bus as far as readiness goes: whether it is connected, and word when that changes. */
export interface ReadyBus {
  readonly connected: boolean;
  onConnectionChange(listener: (connected: boolean) => void): () => void;
}

/**
 * Tells whoever started the process that it is ready, the way s6 and similar supervisors are
 * told: one line, `ready`, on a file descriptor it opened for that, then closed, once every bus
 * of the process is connected (its services started and `online`). The run command starts the
 * services a few at a time on that word instead of all at once: on a board's one or two cores
 * seven Node processes starting together each took 2.3-2.7 s to come online where one alone took
 * 0.3-0.6 (docs/benchmarks.md, bench:footprint). Said once; a descriptor that is not open is
 * logged and otherwise ignored (the process runs as it would unsupervised).
 */
export function notifyReadyWhenConnected(fd: number, buses: readonly ReadyBus[], log: Logger): void {
  const offs: (() => void)[] = [];
  let said = false;
  const check = () => {
    if (said || !buses.every((bus) => bus.connected)) return;
    said = true;
    for (const off of offs) off();
    write(fd, 'ready\n', (error) => {
      if (error) log.warn({ fd, err: error.message }, 'could not tell the supervisor this process is ready');
      close(fd, () => undefined);
    });
  };
  for (const bus of buses) offs.push(bus.onConnectionChange(check));
  check();
}
