import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MetricsRegistry } from '@voxbus/shared';
import { FakeClock } from '@voxbus/shared/testing';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { captureLog } from '../../../test/helpers/log-capture.js';
import { DEFAULT_FONT_FILES, LCD_DEFAULTS } from '../src/config.js';
import { Display } from '../src/display.js';
import { createFakeFramebuffer } from '../src/fake-framebuffer.js';
import { loadFonts } from '../src/fonts.js';
import { Framebuffer } from '../src/framebuffer.js';
import { type FrameOutput, FramebufferOutput } from '../src/outputs.js';
import { ScreenRenderer } from '../src/renderer.js';
import { reduceScreen } from '../src/screen-model.js';
import { levels, modelOf, SCENARIOS } from './scenarios.js';

const fontFamily = loadFonts(DEFAULT_FONT_FILES).family;
const listening = modelOf(SCENARIOS.find((s) => s.name === 'state-listening') as (typeof SCENARIOS)[number]);
const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});
const settle = async () => {
  for (let i = 0; i < 5; i++) await new Promise((resolve) => setImmediate(resolve));
};

describe('the frame loop', () => {
  it('rate-limits frames: a burst of 50 updates in 100 ms is drawn in at most two frames, the last one current', async () => {
    const renderer = new ScreenRenderer({ ...LCD_DEFAULTS, ...LCD_DEFAULTS.fonts, widthPx: 240, heightPx: 280, fontFamily });
    const output: FrameOutput = { name: 'counting', write: async () => {}, close: async () => {} };
    const clock = new FakeClock();
    const metrics = new MetricsRegistry();
    const frames: number[] = [];
    const display = new Display({ renderer, outputs: [output], clock, log: captureLog().log, metrics, refreshHz: 10, onFrame: () => frames.push(clock.nowMs()) });
    let current = listening;
    for (let i = 0; i < 50; i++) {
      current = reduceScreen(current, levels(-60 + i, -60, false));
      display.show(current);
      clock.advance(2);
      await settle();
    }
    clock.advance(200);
    await settle();
    expect(frames.length).toBeGreaterThanOrEqual(1);
    expect(frames.length).toBeLessThanOrEqual(2);
    // The last frame drew the newest level: rendering it again changes nothing.
    expect(renderer.render(current)).toEqual([]);
    expect(metrics.snapshot()['frames.drawn']).toBe(frames.length);
    await display.stop();
  });


  it('counts and logs a failing output once per burst, and keeps drawing to the others', async () => {
    const renderer = new ScreenRenderer({ ...LCD_DEFAULTS, ...LCD_DEFAULTS.fonts, widthPx: 240, heightPx: 280, fontFamily });
    const written: number[] = [];
    const broken: FrameOutput = { name: 'broken', write: () => Promise.reject(new Error('EIO: the panel went away')), close: async () => {} };
    const working: FrameOutput = { name: 'working', write: async (_source, dirty) => void written.push(dirty.length), close: async () => {} };
    const clock = new FakeClock();
    const metrics = new MetricsRegistry();
    const { log, lines } = captureLog();
    const display = new Display({ renderer, outputs: [broken, working], clock, log, metrics, refreshHz: 10 });
    let model = listening;
    for (let frame = 0; frame < 5; frame++) {
      model = reduceScreen(model, levels(-50 + frame * 5, -60, false));
      display.show(model);
      clock.advance(100);
      await settle();
    }
    expect(written.length).toBe(5);
    expect(metrics.snapshot()).toMatchObject({ 'output.broken.errors': 5, 'frames.drawn': 5, 'frames.failed': 0 });
    const logged = lines.filter((line) => line.msg === 'could not write the frame');
    expect(logged).toHaveLength(1);
    expect(logged[0]).toMatchObject({ output: 'broken', err: 'EIO: the panel went away' });
    await display.stop();
  });

  it('after a failed framebuffer write, the next frame rewrites the whole panel, not just what changed', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'voxbus-fb-'));
    dirs.push(dir);
    const fake = createFakeFramebuffer(dir, { widthPx: 240, heightPx: 280, bitsPerPixel: 16 });
    const framebuffer = await Framebuffer.open(fake.device, fake.sysfsDir, 'auto');
    const output = new FramebufferOutput(framebuffer, 0);
    const renderer = new ScreenRenderer({ ...LCD_DEFAULTS, ...LCD_DEFAULTS.fonts, widthPx: 240, heightPx: 280, fontFamily });
    await output.write(renderer, renderer.render(listening));
    const good = readFileSync(fake.device);

    vi.spyOn(framebuffer, 'writeRows').mockRejectedValueOnce(new Error('EIO'));
    const louder = reduceScreen(listening, levels(-20, -60, true));
    await expect(output.write(renderer, renderer.render(louder))).rejects.toThrow('EIO');
    // Whatever the panel holds now, the next frame, though only the meter changed, repairs all of it.
    writeFileSync(fake.device, Buffer.alloc(good.length, 0xaa));
    const dirty = renderer.render(reduceScreen(louder, levels(-30, -60, true)));
    expect(dirty).toEqual([renderer.layout.bands.meter]);
    await output.write(renderer, dirty);
    const after = readFileSync(fake.device);
    const meter = renderer.layout.bands.meter;
    const outsideMeter = (bytes: Buffer) => Buffer.concat([bytes.subarray(0, meter.y * 480), bytes.subarray((meter.y + meter.height) * 480)]);
    expect(outsideMeter(after).equals(outsideMeter(good))).toBe(true);
    await output.close();
  });
});
