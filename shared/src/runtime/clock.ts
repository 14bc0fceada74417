/**
 * Time as a dependency. Logic modules take a Clock instead of calling Date.now or setTimeout,
 * so tests drive time with FakeClock. Timers have names, for logs and for tests.
 */
export interface TimerHandle {
  cancel(): void;
}

export interface Clock {
  /** Wall-clock time, ms since the Unix epoch (for people and logs). */
  nowMs(): number;
  /** CLOCK_MONOTONIC, µs: the clock audio frame timestamps use, shared by all processes on the host. */
  monotonicUs(): number;
  setTimer(name: string, delayMs: number, callback: () => void): TimerHandle;
  setRepeating(name: string, periodMs: number, callback: () => void): TimerHandle;
}

export const systemClock: Clock = {
  nowMs: () => Date.now(),
  // libuv's hrtime is CLOCK_MONOTONIC on Linux, the same clock ALSA timestamps and other processes read.
  monotonicUs: () => Number(process.hrtime.bigint() / 1000n),
  setTimer(_name, delayMs, callback) {
    const timer = setTimeout(callback, delayMs);
    return { cancel: () => clearTimeout(timer) };
  },
  setRepeating(_name, periodMs, callback) {
    const timer = setInterval(callback, periodMs);
    return { cancel: () => clearInterval(timer) };
  },
};
