import { type FileHandle, open, readFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { errorMessage } from '@voxbus/shared';
import type { PanelGeometry, PixelFormat } from './pixel-format.js';

export type PixelFormatSetting = PixelFormat | 'auto';

/** Why a framebuffer cannot be used, in words for the person setting the board up. */
export class FramebufferError extends Error {
  override readonly name = 'FramebufferError';
}

/**
 * A Linux framebuffer device (`/dev/fbN`): geometry from sysfs (`virtual_size`, `bits_per_pixel`,
 * `stride`, which is what the FBIOGET_*SCREENINFO ioctls report, without an addon), pixels
 * written with plain writes at byte offsets. fbtft SPI panels flush written memory to the panel
 * on their own (deferred I/O), so nothing else is needed.
 */
export class Framebuffer {
  private constructor(
    readonly device: string,
    readonly geometry: PanelGeometry,
    private readonly handle: FileHandle,
  ) {}

  static async open(device: string, sysfsDir: string, pixelFormat: PixelFormatSetting): Promise<Framebuffer> {
    let handle: FileHandle;
    try {
      handle = await open(device, 'r+');
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      const hint =
        code === 'EACCES'
          ? 'permission denied: run as a member of the `video` group (in compose: group_add with its gid)'
          : code === 'ENOENT'
            ? "no such device: is the panel's driver loaded (`ls /dev/fb*`)? In a container, pass it with `devices: [/dev/fb0]`"
            : errorMessage(error);
      throw new FramebufferError(`${device}: cannot open it: ${hint}`);
    }
    try {
      const geometry = await readGeometry(device, join(sysfsDir, basename(device)), pixelFormat);
      const size = (await handle.stat()).size;
      // A character device reports size 0; a file standing in for one must be big enough.
      if (size !== 0 && size < geometry.strideBytes * geometry.heightPx) {
        throw new FramebufferError(`${device}: ${size} bytes, smaller than its geometry (${geometry.strideBytes} × ${geometry.heightPx})`);
      }
      return new Framebuffer(device, geometry, handle);
    } catch (error) {
      await handle.close();
      throw error;
    }
  }

  /** Writes whole panel rows `firstRow …` from `memory`, a full copy of the panel's memory. */
  async writeRows(memory: Buffer, firstRow: number, rowCount: number): Promise<void> {
    const offset = firstRow * this.geometry.strideBytes;
    const length = rowCount * this.geometry.strideBytes;
    const { bytesWritten } = await this.handle.write(memory, offset, length, offset);
    if (bytesWritten !== length) throw new Error(`${this.device}: short write (${bytesWritten} of ${length} bytes)`);
  }

  async close(): Promise<void> {
    await this.handle.close();
  }
}

async function readGeometry(device: string, sysfs: string, pixelFormat: PixelFormatSetting): Promise<PanelGeometry> {
  const attribute = async (name: string): Promise<string> => {
    try {
      return (await readFile(join(sysfs, name), 'utf8')).trim();
    } catch (error) {
      throw new FramebufferError(`${device}: cannot read its geometry from ${join(sysfs, name)} (${errorMessage(error)})`);
    }
  };
  return parseGeometry(device, await attribute('virtual_size'), await attribute('bits_per_pixel'), await attribute('stride'), pixelFormat);
}

export function parseGeometry(device: string, virtualSize: string, bitsPerPixel: string, stride: string, pixelFormat: PixelFormatSetting): PanelGeometry {
  const size = /^(\d+),(\d+)$/.exec(virtualSize);
  const bits = Number(bitsPerPixel);
  const strideBytes = Number(stride);
  if (!size) throw new FramebufferError(`${device}: virtual_size "${virtualSize}" is not <width>,<height>`);
  const widthPx = Number(size[1]);
  const heightPx = Number(size[2]);
  if (widthPx === 0 || heightPx === 0) throw new FramebufferError(`${device}: reports a ${widthPx}×${heightPx} screen`);
  let format: PixelFormat;
  if (pixelFormat !== 'auto') format = pixelFormat;
  else if (bits === 16) format = 'rgb565';
  else if (bits === 32) format = 'xrgb8888';
  else throw new FramebufferError(`${device}: ${bitsPerPixel} bits per pixel is not supported (16 and 32 are)`);
  const expectedBits = format.endsWith('565') ? 16 : 32;
  if (bits !== expectedBits) throw new FramebufferError(`${device}: pixelFormat ${format} needs ${expectedBits} bits per pixel, the device has ${bitsPerPixel}`);
  if (!Number.isInteger(strideBytes) || strideBytes < (widthPx * bits) / 8) {
    throw new FramebufferError(`${device}: stride "${stride}" is shorter than a row of ${widthPx} pixels`);
  }
  return { widthPx, heightPx, strideBytes, format };
}
