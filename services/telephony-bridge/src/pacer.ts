/** The part of voxbus's Clock the pacer needs. */
export interface PacerClock {
  monotonicUs(): number;
  setTimer(name: string, delayMs: number, callback: () => void): { cancel(): void };
}

/**
 * Ticks once per period on an ideal grid (start + n × period), not setInterval's: a timer that
 * fires late is caught up with, so the line's audio keeps the call's real-time pace over a whole
 * call and its timestamps stay contiguous. A stall longer than `maxCatchUpPeriods` (a frozen
 * process) restarts the grid instead of bursting, and is counted by the caller through `onSkip`.
 */
export class Pacer {
  private timer: { cancel(): void } | undefined;
  private startUs = 0;
  private ticks = 0;

  constructor(
    private readonly clock: PacerClock,
    private readonly periodUs: number,
    private readonly onTick: (tick: number, timeUs: number) => void,
    private readonly onSkip: (periods: number) => void,
    private readonly maxCatchUpPeriods = 10,
  ) {}

  get running(): boolean {
    return this.timer !== undefined;
  }

  start(): void {
    if (this.timer !== undefined) return;
    this.startUs = this.clock.monotonicUs();
    this.ticks = 0;
    this.schedule();
  }

  stop(): void {
    this.timer?.cancel();
    this.timer = undefined;
  }

  private schedule(): void {
    const nextUs = this.startUs + (this.ticks + 1) * this.periodUs;
    const delayMs = Math.max(0, (nextUs - this.clock.monotonicUs()) / 1000);
    this.timer = this.clock.setTimer('telephony line', delayMs, () => this.fire());
  }

  private fire(): void {
    const nowUs = this.clock.monotonicUs();
    let due = Math.floor((nowUs - this.startUs) / this.periodUs) - this.ticks;
    if (due > this.maxCatchUpPeriods) {
      this.onSkip(due - 1);
      this.startUs = nowUs - this.periodUs;
      this.ticks = 0;
      due = 1;
    }
    for (let i = 0; i < due; i++) {
      this.ticks += 1;
      // The period that just ended: it began one period before its end on the grid.
      this.onTick(this.ticks, this.startUs + (this.ticks - 1) * this.periodUs);
    }
    if (this.timer !== undefined) this.schedule();
  }
}
