import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PNG } from 'pngjs';
import { afterEach, describe, expect, it } from 'vitest';
import { DEFAULT_FONT_FILES, LCD_DEFAULTS } from '../src/config.js';
import { createFakeFramebuffer } from '../src/fake-framebuffer.js';
import { loadFonts } from '../src/fonts.js';
import { Framebuffer, FramebufferError } from '../src/framebuffer.js';
import { FramebufferOutput } from '../src/outputs.js';
import { panelToRgba, type PixelFormat, pictureSize, type RotationDeg } from '../src/pixel-format.js';
import { ScreenRenderer } from '../src/renderer.js';
import { reduceScreen } from '../src/screen-model.js';
import { imageDifference, MAX_DIFFERENT_FRACTION } from './image-diff.js';
import { levels, modelOf, SCENARIOS } from './scenarios.js';

const GOLDEN_DIR = new URL('./golden/', import.meta.url);
const fontFamily = loadFonts(DEFAULT_FONT_FILES).family;
const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});
const tempDir = () => {
  const dir = mkdtempSync(join(tmpdir(), 'voxbus-fb-'));
  dirs.push(dir);
  return dir;
};

/** Turns panel-oriented RGBA back to the picture's orientation. */
function unrotate(rgba: Uint8Array, panel: { widthPx: number; heightPx: number }, rotationDeg: RotationDeg): PNG {
  const picture = pictureSize(panel, rotationDeg);
  const png = new PNG({ width: picture.widthPx, height: picture.heightPx });
  for (let y = 0; y < picture.heightPx; y++) {
    for (let x = 0; x < picture.widthPx; x++) {
      const [px, py] = {
        0: [x, y],
        90: [picture.heightPx - 1 - y, x],
        180: [picture.widthPx - 1 - x, picture.heightPx - 1 - y],
        270: [y, picture.widthPx - 1 - x],
      }[rotationDeg] as [number, number];
      rgba.subarray((py * panel.widthPx + px) * 4, (py * panel.widthPx + px) * 4 + 4).forEach((v, c) => {
        png.data[(y * picture.widthPx + x) * 4 + c] = v;
      });
    }
  }
  return png;
}

async function drawOnce(device: string, sysfsDir: string, rotationDeg: RotationDeg, scenario: string) {
  const framebuffer = await Framebuffer.open(device, sysfsDir, 'auto');
  const picture = pictureSize(framebuffer.geometry, rotationDeg);
  const renderer = new ScreenRenderer({ ...LCD_DEFAULTS, ...LCD_DEFAULTS.fonts, ...picture, fontFamily });
  const output = new FramebufferOutput(framebuffer, rotationDeg);
  const found = SCENARIOS.find((s) => s.name === scenario);
  if (!found) throw new Error(scenario);
  const model = modelOf(found);
  await output.write(renderer, renderer.render(model));
  return { framebuffer, renderer, output, model, picture };
}

describe('the framebuffer output, on a file-backed fake device', () => {
  const cases: { format: PixelFormat; bits: number; panel: [number, number]; stridePad: number; rotationDeg: RotationDeg }[] = [
    { format: 'rgb565', bits: 16, panel: [240, 280], stridePad: 0, rotationDeg: 0 },
    { format: 'xrgb8888', bits: 32, panel: [320, 240], stridePad: 64, rotationDeg: 0 },
    // A portrait picture on a landscape panel, and the other way round.
    { format: 'rgb565', bits: 16, panel: [280, 240], stridePad: 0, rotationDeg: 90 },
    { format: 'xrgb8888', bits: 32, panel: [240, 320], stridePad: 0, rotationDeg: 270 },
  ];
  for (const c of cases) {
    it(`${c.format}, ${c.panel.join('×')} panel${c.stridePad ? ' with padded rows' : ''}, rotated ${c.rotationDeg}°: the bytes decode to the golden image`, async () => {
      const dir = tempDir();
      const fake = createFakeFramebuffer(dir, { widthPx: c.panel[0], heightPx: c.panel[1], bitsPerPixel: c.bits, strideBytes: (c.panel[0] * c.bits) / 8 + c.stridePad });
      const { framebuffer, output, picture } = await drawOnce(fake.device, fake.sysfsDir, c.rotationDeg, 'state-assistantSpeaking');
      expect(framebuffer.geometry).toEqual({ widthPx: c.panel[0], heightPx: c.panel[1], strideBytes: fake.strideBytes, format: c.format });
      await output.close();

      const decoded = unrotate(panelToRgba(readFileSync(fake.device), framebuffer.geometry), framebuffer.geometry, c.rotationDeg);
      const golden = PNG.sync.read(readFileSync(new URL(`${picture.widthPx}x${picture.heightPx}/state-assistantSpeaking.png`, GOLDEN_DIR)));
      expect([decoded.width, decoded.height]).toEqual([golden.width, golden.height]);
      // rgb565 keeps 5-6 bits a channel: every pixel within that rounding of the golden image.
      expect(imageDifference(decoded, golden).fraction).toBeLessThan(MAX_DIFFERENT_FRACTION);
    });
  }

  it('writes only the rows of what changed: a level change rewrites the meter, not the rest', async () => {
    const dir = tempDir();
    const fake = createFakeFramebuffer(dir, { widthPx: 240, heightPx: 280, bitsPerPixel: 16 });
    const { renderer, output, model } = await drawOnce(fake.device, fake.sysfsDir, 0, 'state-listening');
    // Scribble over the device: rows the next frame writes are repaired, the others stay scribbled.
    writeFileSync(fake.device, Buffer.alloc(480 * 280, 0xaa));
    const dirty = renderer.render(reduceScreen(model, levels(-12, -30, true)));
    expect(dirty).toEqual([renderer.layout.bands.meter]);
    await output.write(renderer, dirty);
    await output.close();
    const bytes = readFileSync(fake.device);
    const meter = renderer.layout.bands.meter;
    const rowsWith = (predicate: (row: Buffer) => boolean) =>
      Array.from({ length: 280 }, (_, y) => y).filter((y) => predicate(bytes.subarray(y * 480, (y + 1) * 480)));
    const scribbled = rowsWith((row) => row.every((b) => b === 0xaa));
    expect(scribbled.length).toBe(280 - meter.height);
    expect(scribbled.some((y) => y >= meter.y && y < meter.y + meter.height)).toBe(false);
  });

  it('refuses a device it cannot use with an error that says what to do', async () => {
    const dir = tempDir();
    const fake = createFakeFramebuffer(dir, { widthPx: 240, heightPx: 280, bitsPerPixel: 24 });
    await expect(Framebuffer.open(fake.device, fake.sysfsDir, 'auto')).rejects.toThrow(/24 bits per pixel is not supported \(16 and 32 are\)/);
    await expect(Framebuffer.open(fake.device, fake.sysfsDir, 'rgb565')).rejects.toThrow(/needs 16 bits per pixel, the device has 24/);
    await expect(Framebuffer.open(join(dir, 'fb7'), fake.sysfsDir, 'auto')).rejects.toThrow(FramebufferError);
    await expect(Framebuffer.open(join(dir, 'fb7'), fake.sysfsDir, 'auto')).rejects.toThrow(/fb7: cannot open it: no such device: is the panel's driver loaded/);
    rmSync(join(fake.sysfsDir, 'fb0', 'stride'));
    await expect(Framebuffer.open(fake.device, fake.sysfsDir, 'auto')).rejects.toThrow(/cannot read its geometry from .*fb0\/stride/);
    const small = createFakeFramebuffer(tempDir(), { widthPx: 240, heightPx: 280, bitsPerPixel: 16 });
    writeFileSync(small.device, Buffer.alloc(100));
    await expect(Framebuffer.open(small.device, small.sysfsDir, 'auto')).rejects.toThrow(/100 bytes, smaller than its geometry/);
    rmSync(small.device);
    await expect(Framebuffer.open(small.device, small.sysfsDir, 'auto')).rejects.toThrow(/no such device.*In a container, pass it with `devices: \[\/dev\/fb0\]`/);
  });
});
