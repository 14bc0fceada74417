/** Percentile by nearest rank over an unsorted sample (copied and sorted here). */
export function percentiles(values: readonly number[], ps: readonly number[]): number[] {
  if (values.length === 0) return ps.map(() => Number.NaN);
  const sorted = [...values].sort((a, b) => a - b);
  return ps.map((p) => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] as number);
}

export function round3(value: number): number {
  return Math.round(value * 1000) / 1000;
}
