import type { Clock, TimerHandle } from '../runtime/clock.js';

interface PendingTimer {
  readonly name: string;
  dueMs: number;
  readonly periodMs: number | undefined;
  readonly callback: () => void;
  cancelled: boolean;
}

/** A Clock that only moves when told to. Timers fire in due order during `advance`. */
export class FakeClock implements Clock {
  private currentMs: number;
  private readonly timers: PendingTimer[] = [];

  constructor(startMs = 1_700_000_000_000, private readonly monotonicOffsetUs = 1_000_000) {
    this.currentMs = startMs;
  }

  nowMs(): number {
    return this.currentMs;
  }

  monotonicUs(): number {
    return this.monotonicOffsetUs + Math.round(this.currentMs * 1000);
  }

  setTimer(name: string, delayMs: number, callback: () => void): TimerHandle {
    return this.add(name, delayMs, undefined, callback);
  }

  setRepeating(name: string, periodMs: number, callback: () => void): TimerHandle {
    return this.add(name, periodMs, periodMs, callback);
  }

  /** Names of the timers still pending, soonest first. */
  pendingTimers(): string[] {
    return this.timers.filter((t) => !t.cancelled).sort((a, b) => a.dueMs - b.dueMs).map((t) => t.name);
  }

  advance(ms: number): void {
    const target = this.currentMs + ms;
    for (;;) {
      const next = this.timers.filter((t) => !t.cancelled && t.dueMs <= target).sort((a, b) => a.dueMs - b.dueMs)[0];
      if (!next) break;
      this.currentMs = next.dueMs;
      if (next.periodMs === undefined) next.cancelled = true;
      else next.dueMs += next.periodMs;
      next.callback();
    }
    this.currentMs = target;
    for (let i = this.timers.length - 1; i >= 0; i--) if (this.timers[i]?.cancelled) this.timers.splice(i, 1);
  }

  private add(name: string, delayMs: number, periodMs: number | undefined, callback: () => void): TimerHandle {
    const timer: PendingTimer = { name, dueMs: this.currentMs + delayMs, periodMs, callback, cancelled: false };
    this.timers.push(timer);
    return { cancel: () => (timer.cancelled = true) };
  }
}
