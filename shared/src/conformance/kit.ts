import { systemClock } from '../runtime/clock.js';

/** What every service's kit is given: the scenarios to run and how long to wait for the candidate. */
export interface KitOptions<Scenario extends string> {
  readonly scenarios: readonly Scenario[];
  /** How long the candidate may take to come online and reach its first state (open its device, …). */
  readonly startTimeoutMs: number;
  /** How long to wait for a metrics message (the candidate's metrics interval, and some). */
  readonly metricsTimeoutMs: number;
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** CLOCK_MONOTONIC in µs: the clock the contract's audio timestamps are on. */
export const nowUs = (): number => systemClock.monotonicUs();
