import type { Logger } from 'pino';

/**
 * Logs the first occurrence of each kind of problem at once, then at most one line per
 * `intervalMs` with how many were suppressed: a flood of bad frames (50/s) must not flood the
 * log, and must not vanish either (the counters have every one).
 */
export class RateLimitedLog {
  private readonly last = new Map<string, { atMs: number; suppressed: number }>();

  constructor(
    private readonly log: Logger,
    private readonly intervalMs = 10_000,
    private readonly nowMs: () => number = () => performance.now(),
  ) {}

  info(kind: string, fields: Record<string, unknown>, message: string): void {
    this.emit('info', kind, fields, message);
  }

  warn(kind: string, fields: Record<string, unknown>, message: string): void {
    this.emit('warn', kind, fields, message);
  }

  error(kind: string, fields: Record<string, unknown>, message: string): void {
    this.emit('error', kind, fields, message);
  }

  private emit(level: 'info' | 'warn' | 'error', kind: string, fields: Record<string, unknown>, message: string): void {
    const now = this.nowMs();
    const seen = this.last.get(kind);
    if (seen && now - seen.atMs < this.intervalMs) {
      seen.suppressed++;
      return;
    }
    const suppressed = seen?.suppressed ?? 0;
    this.last.set(kind, { atMs: now, suppressed: 0 });
    this.log[level](suppressed > 0 ? { ...fields, suppressedSinceLast: suppressed } : fields, message);
  }
}
