/**
 * Failed logins per address: after `freeFailures` in a row, the address is refused without a
 * password check for a time that doubles with each further failure (1 s, 2 s, … at most
 * `maxBlockMs`); a success clears it. 300 wrong passwords at 22/s went through unthrottled.
 * Bounded: the oldest address is forgotten past `maxAddresses`.
 */
export interface LoginThrottleOptions {
  readonly freeFailures: number;
  readonly maxBlockMs: number;
  readonly maxAddresses: number;
  readonly nowMs: () => number;
}

interface Record {
  failures: number;
  blockedUntilMs: number;
}

export class LoginThrottle {
  private readonly byAddress = new Map<string, Record>();

  constructor(private readonly o: LoginThrottleOptions) {}

  /** Milliseconds the address must still wait, or 0 when its login may be checked. */
  blockedForMs(address: string): number {
    const record = this.byAddress.get(address);
    return record ? Math.max(0, record.blockedUntilMs - this.o.nowMs()) : 0;
  }

  failed(address: string): void {
    const record = this.byAddress.get(address) ?? { failures: 0, blockedUntilMs: 0 };
    this.byAddress.delete(address);
    this.byAddress.set(address, record);
    record.failures++;
    const over = record.failures - this.o.freeFailures;
    if (over >= 0) record.blockedUntilMs = this.o.nowMs() + Math.min(this.o.maxBlockMs, 1000 * 2 ** Math.min(over, 30));
    if (this.byAddress.size > this.o.maxAddresses) this.byAddress.delete(this.byAddress.keys().next().value as string);
  }

  succeeded(address: string): void {
    this.byAddress.delete(address);
  }
}
