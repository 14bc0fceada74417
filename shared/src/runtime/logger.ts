import pino, { type DestinationStream, type Logger, type LevelWithSilent } from 'pino';

export type { Logger };

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

/** Field names that are always redacted, wherever they appear one level down. */
const ALWAYS_REDACTED = ['password', 'apiKey', 'token', 'authorization', 'secret'];

/**
 * One JSON line per entry on stdout (pino), tagged with the service name. Secrets are
 * redacted by name and by the config schema's `secret` paths.
 */
export function createLogger(service: string, level: LevelWithSilent, extraRedactPaths: string[] = [], destination?: DestinationStream): Logger {
  const paths = [...ALWAYS_REDACTED, ...ALWAYS_REDACTED.map((name) => `*.${name}`), ...extraRedactPaths];
  return pino(
    {
      level,
      base: { service, pid: process.pid },
      redact: { paths, censor: '***' },
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    destination ?? pino.destination({ sync: true }),
  );
}
