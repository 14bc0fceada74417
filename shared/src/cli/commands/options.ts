/** A --name option that must be a positive whole number of ms (or seconds, with `unit`). */
export function positiveMs(value: string | undefined, fallback: number, name: string, unit = 'ms'): number {
  if (value === undefined) return fallback;
  const parsed = Number(value);
  if (!Number.isFinite(parsed) || parsed <= 0 || (unit === 'ms' && !Number.isInteger(parsed))) {
    throw new UsageError(`--${name} must be a positive ${unit === 'ms' ? 'whole number of ms' : `number of ${unit}`}, not "${value}"`);
  }
  return parsed;
}

/** Bad use of the command line: said with the usage, exit code 2. */
export class UsageError extends Error {}

/** Resolves on Ctrl-C or SIGTERM (or after `ms` when given): when a following command stops. */
export function untilStopped(ms: number | undefined): Promise<void> {
  return new Promise((resolve) => {
    const stop = () => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      clearTimeout(timer);
      resolve();
    };
    const timer = ms === undefined ? undefined : setTimeout(stop, ms);
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
}
