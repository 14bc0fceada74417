import { setFlagsFromString } from 'node:v8';

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

/**
 * glibc's malloc arenas a service may use. By default each thread that allocates (V8's
 * collector and compiler threads, libuv's pool) may get its own arena, up to 8 per core, and
 * each keeps its freed pages: the soak bench saw 6-12 MiB of arenas per service, still growing
 * after ten minutes; with two, 2-8 MiB, flat from the second minute. A setting of the user's own wins.
 */
export const SERVICE_MALLOC_ARENA_MAX = '2';

/**
 * Blocks of this many bytes or more get pages of their own from glibc's malloc, handed back when
 * freed. By default the threshold rises to the largest block freed so far, after which such
 * blocks come from the heap and leave holes it never returns: in the all-in-one process the heap
 * held 14 MiB, 3 of it free (malloc_trim gave it back). With it fixed at 32 KiB, all-in-one was
 * 4-5 MiB smaller (docs/benchmarks.md). A setting of the user's own wins.
 */
export const SERVICE_MALLOC_MMAP_THRESHOLD_BYTES = '32768';

/** The environment variables every service runs with, on top of `env` (whose own settings win). */
export function serviceEnv(env: NodeJS.ProcessEnv): { NODE_OPTIONS: string; MALLOC_ARENA_MAX: string; MALLOC_MMAP_THRESHOLD_: string } {
  return {
    NODE_OPTIONS: serviceNodeOptions(env.NODE_OPTIONS),
    MALLOC_ARENA_MAX: env.MALLOC_ARENA_MAX ?? SERVICE_MALLOC_ARENA_MAX,
    MALLOC_MMAP_THRESHOLD_: env.MALLOC_MMAP_THRESHOLD_ ?? SERVICE_MALLOC_MMAP_THRESHOLD_BYTES,
  };
}

/**
 * V8 options a service sets on itself as it starts, because NODE_OPTIONS refuses them.
 * `--optimize-for-size` makes the heap grow in small steps and collect (and compact) sooner.
 * Without it the soak bench saw each service's old space fill with garbage for its first 15-30
 * minutes before the first full collection: the live heap stayed flat at 11-14 MiB (heap
 * snapshots at minutes 4, 9 and 13), yet PSS rose 5-26 % over the hour. With it, full collections
 * came within 4-5 minutes in most services and the old space stayed within 1-3 MiB of what it
 * held; not in the dsp, whose old space still rose for about 30 minutes at a time (heap-upkeep.ts
 * collects it). The heap reads this flag as it runs, so setting it before the services allocate
 * does what the command-line flag would.
 */
export const SERVICE_V8_RUNTIME_FLAGS = ['--optimize-for-size'] as const;

/**
 * V8 options every service process sets on itself as it starts, the broker's too. Without
 * Sparkplug (V8's baseline compiler, which turns every warm function's bytecode into machine code
 * several times its size) a function runs interpreted until it is hot enough for the optimising
 * compiler: set here, the stack held 1.0-2.8 MiB less in multi-process and 0.5-1.0 MiB less in
 * all-in-one (union, A/B twice, idle and in conversation) at the same CPU within the runs' noise
 * (docs/benchmarks.md). The compiler reads the flag as it decides; on the command line instead it
 * saved 1.8-2.0 MiB in all-in-one (most likely the code that ran before this point).
 */
export const SERVICE_V8_CODE_FLAGS = ['--no-sparkplug'] as const;

/**
 * The runtime flags of a process running these services: the code flags always, and the size
 * flags unless every one of them opted out (`optimizeForSize: false`, the broker, to which
 * `--optimize-for-size` cost ~30-60 µs of every message it routes).
 */
export function serviceV8RuntimeFlags(services: readonly { readonly optimizeForSize?: boolean }[]): readonly string[] {
  return [...SERVICE_V8_CODE_FLAGS, ...(services.some((service) => service.optimizeForSize !== false) ? SERVICE_V8_RUNTIME_FLAGS : [])];
}

export function tuneV8ForService(flags: readonly string[]): void {
  for (const flag of flags) setFlagsFromString(flag);
}
