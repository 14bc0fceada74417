import { describe, expect, it } from 'vitest';
import { SERVICE_V8_OPTIONS, serviceNodeOptions } from '../src/runtime/node-options.js';

describe('the V8 options the runner gives every service', () => {
  it('adds the small young generation to whatever NODE_OPTIONS holds, and leaves a setting of the user alone', () => {
    expect(serviceNodeOptions(undefined)).toBe(SERVICE_V8_OPTIONS);
    expect(serviceNodeOptions('  ')).toBe(SERVICE_V8_OPTIONS);
    expect(serviceNodeOptions('--enable-source-maps')).toBe(`--enable-source-maps ${SERVICE_V8_OPTIONS}`);
    expect(serviceNodeOptions('--max-semi-space-size=8')).toBe('--max-semi-space-size=8');
  });
});
