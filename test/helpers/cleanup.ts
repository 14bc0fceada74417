import { afterEach } from 'vitest';

/**
 * Registers an afterEach that runs, newest first, everything handed to the returned function
 * during a test (stop a broker, kill a process, close a client).
 */
export function cleanupAfterEach(): (cleanup: () => Promise<unknown> | void) => void {
  const cleanups: (() => Promise<unknown> | void)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });
  return (cleanup) => void cleanups.push(cleanup);
}
