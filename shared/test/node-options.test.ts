import { describe, expect, it } from 'vitest';
import { SERVICE_V8_CODE_FLAGS, SERVICE_V8_OPTIONS, SERVICE_V8_RUNTIME_FLAGS, serviceEnv, serviceNodeOptions, serviceV8RuntimeFlags } from '../src/runtime/node-options.js';

describe('the V8 options the runner gives every service', () => {
  it('adds the small young generation to whatever NODE_OPTIONS holds, and leaves a setting of the user alone', () => {
    expect(serviceNodeOptions(undefined)).toBe(SERVICE_V8_OPTIONS);
    expect(serviceNodeOptions('  ')).toBe(SERVICE_V8_OPTIONS);
    expect(serviceNodeOptions('--enable-source-maps')).toBe(`--enable-source-maps ${SERVICE_V8_OPTIONS}`);
    expect(serviceNodeOptions('--max-semi-space-size=8')).toBe('--max-semi-space-size=8');
  });

  it('gives two malloc arenas and a fixed 32 KiB threshold for blocks of their own unless the user chose, and the V8 options', () => {
    expect(serviceEnv({})).toEqual({ NODE_OPTIONS: SERVICE_V8_OPTIONS, MALLOC_ARENA_MAX: '2', MALLOC_MMAP_THRESHOLD_: '32768' });
    expect(serviceEnv({ MALLOC_ARENA_MAX: '8', NODE_OPTIONS: '--max-semi-space-size=4', MALLOC_MMAP_THRESHOLD_: '131072' })).toEqual({
      NODE_OPTIONS: '--max-semi-space-size=4',
      MALLOC_ARENA_MAX: '8',
      MALLOC_MMAP_THRESHOLD_: '131072',
    });
  });

  it('sets --optimize-for-size in a process unless every service in it opted out (the broker does), and --no-sparkplug in every one', () => {
    expect(SERVICE_V8_CODE_FLAGS).toEqual(['--no-sparkplug']);
    expect(serviceV8RuntimeFlags([{}])).toEqual([...SERVICE_V8_CODE_FLAGS, ...SERVICE_V8_RUNTIME_FLAGS]);
    expect(serviceV8RuntimeFlags([{ optimizeForSize: false }])).toEqual(SERVICE_V8_CODE_FLAGS);
    // All-in-one: the broker with services that keep it.
    expect(serviceV8RuntimeFlags([{ optimizeForSize: false }, {}, { optimizeForSize: true }])).toEqual([...SERVICE_V8_CODE_FLAGS, ...SERVICE_V8_RUNTIME_FLAGS]);
  });
});
