/**
 * V8 options every service runs with. A 1 MiB young generation instead of V8's default
 * (which grows to 16 MiB semi-spaces under the audio path's steady allocation) keeps each
 * service about 30 MiB smaller in PSS at the same CPU (measured on the dsp: 80 → 51 MiB,
 * 8.3 → 8.0 % of a core; docs/benchmarks.md). A setting of the user's own wins.
 */
export const SERVICE_V8_OPTIONS = '--max-semi-space-size=1';

export function serviceNodeOptions(existing: string | undefined): string {
  const current = existing?.trim() ?? '';
  if (current.includes('--max-semi-space-size')) return current;
  return current === '' ? SERVICE_V8_OPTIONS : `${current} ${SERVICE_V8_OPTIONS}`;
}
