import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  createFakeFramebuffer,
  DEFAULT_FONT_FILES,
  EMPTY_SCREEN,
  Framebuffer,
  FramebufferOutput,
  LCD_DEFAULTS,
  loadFonts,
  PngFileOutput,
  reduceScreen,
  type ScreenEvent,
  type ScreenModel,
  ScreenRenderer,
} from '@voxbus/lcd/lib';
import { percentiles, round3 } from '../lib/stats.js';
import { conversationEvents, everyRegionEvents } from './workload.js';

export interface FrameFigures {
  readonly frames: number;
  readonly renderMs: { p50: number; p99: number };
  readonly writeMs: { p50: number; p99: number };
  readonly totalMs: { p50: number; p99: number; max: number };
  readonly bytesWrittenPerFrame: number;
}

const summary = (values: number[]) => {
  const [p50, p99] = percentiles(values, [50, 99]).map(round3) as [number, number];
  return { p50, p99 };
};

/**
 * Frames as the service draws them, in this process: the reducer, the renderer (only changed
 * regions), then the output (a file-backed fake framebuffer: the kernel's fbdev write path is a
 * memcpy into the same page cache, so this is the device cost minus the panel's own flush).
 */
export async function measureFrames(options: {
  widthPx: number;
  heightPx: number;
  bitsPerPixel: 16 | 32;
  output: 'framebuffer' | 'png';
  frames: number;
  /** `conversation`: a realistic stream; `levels`: only the meter moves; `everything`: every region changes every frame (a full-screen write). */
  workload: 'conversation' | 'levels' | 'everything';
}): Promise<FrameFigures> {
  const dir = mkdtempSync(join(tmpdir(), 'voxbus-bench-lcd-'));
  try {
    const fake = createFakeFramebuffer(dir, { widthPx: options.widthPx, heightPx: options.heightPx, bitsPerPixel: options.bitsPerPixel });
    const output =
      options.output === 'framebuffer'
        ? new FramebufferOutput(await Framebuffer.open(fake.device, fake.sysfsDir, 'auto'), 0)
        : new PngFileOutput(join(dir, 'screen.png'));
    const renderer = new ScreenRenderer({
      ...LCD_DEFAULTS,
      ...LCD_DEFAULTS.fonts,
      widthPx: options.widthPx,
      heightPx: options.heightPx,
      fontFamily: loadFonts(DEFAULT_FONT_FILES).family,
    });
    const script = options.workload === 'everything' ? everyRegionEvents(options.frames) : conversationEvents(options.frames);
    let model: ScreenModel = EMPTY_SCREEN;
    const render: number[] = [];
    const write: number[] = [];
    const total: number[] = [];
    let bytes = 0;
    for (let frame = 0; frame < options.frames; frame++) {
      const all = script[frame] ?? [];
      // "levels": after the first frame, only the meter moves (the screen while nobody talks).
      const events: ScreenEvent[] = options.workload === 'levels' && frame > 0 ? all.filter((e) => e.type === 'levels') : all;
      model = events.reduce(reduceScreen, model);
      const t0 = performance.now();
      const dirty = renderer.render(model);
      const t1 = performance.now();
      await output.write(renderer, dirty);
      const t2 = performance.now();
      if (dirty.length === 0) continue;
      render.push(t1 - t0);
      write.push(t2 - t1);
      total.push(t2 - t0);
      bytes += dirty.reduce((sum, rect) => sum + rect.height * fake.strideBytes, 0);
    }
    // (Closes the framebuffer too.)
    await output.close();
    return {
      frames: total.length,
      renderMs: summary(render),
      writeMs: summary(write),
      totalMs: { ...summary(total), max: round3(Math.max(...total)) },
      bytesWrittenPerFrame: options.output === 'framebuffer' ? Math.round(bytes / total.length) : 0,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
