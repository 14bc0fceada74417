import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { FakeClock } from '@voxbus/shared/testing';
import { describe, expect, it } from 'vitest';
import { startHealthFile } from '../src/runtime/health-file.js';
import { tempDir } from '../../test/helpers/temp-dir.js';

describe('the health file a container check reads', () => {
  it('says online while every service of the process is connected, offline when one is not, and goes away on stop', () => {
    const path = join(tempDir('health'), 'voxbus.health');
    const clock = new FakeClock(Date.parse('2026-11-26T00:00:00Z'));
    let dspConnected = true;
    const health = startHealthFile({ path, intervalMs: 5000, clock, connected: () => [['broker', true], ['dsp', dspConnected]] });
    expect(readFileSync(path, 'utf8')).toBe('online 2026-11-26T00:00:00.000Z broker=connected dsp=connected\n');
    dspConnected = false;
    clock.advance(5000);
    expect(readFileSync(path, 'utf8')).toBe('offline 2026-11-26T00:00:05.000Z broker=connected dsp=disconnected\n');
    health.stop();
    expect(existsSync(path)).toBe(false);
    clock.advance(10_000);
    expect(existsSync(path), 'rewritten after stop').toBe(false);
  });
});
