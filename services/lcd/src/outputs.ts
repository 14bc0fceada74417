import { rename, writeFile } from 'node:fs/promises';
import type { Framebuffer } from './framebuffer.js';
import { blitRgba, type Rect, type RotationDeg } from './pixel-format.js';

/** What a frame is drawn from: the renderer's canvas, as pixels or as a PNG. */
export interface FrameSource {
  readonly widthPx: number;
  readonly heightPx: number;
  pixels(rect: Rect): Uint8Array | Uint8ClampedArray;
  png(): Promise<Buffer>;
}

/** Somewhere frames go. `dirty` are the picture rectangles that changed since the last write. */
export interface FrameOutput {
  readonly name: string;
  write(source: FrameSource, dirty: readonly Rect[]): Promise<void>;
  close(): Promise<void>;
}

/**
 * The framebuffer: a copy of its memory is kept here, changed rectangles are converted into it
 * (format, rotation) and only their rows are written to the device.
 */
export class FramebufferOutput implements FrameOutput {
  readonly name = 'framebuffer';
  private readonly memory: Buffer;
  /** A write failed: the device may hold anything, so the next write sends all of memory. */
  private stale = false;

  constructor(
    private readonly framebuffer: Framebuffer,
    private readonly rotationDeg: RotationDeg,
  ) {
    this.memory = Buffer.alloc(framebuffer.geometry.strideBytes * framebuffer.geometry.heightPx);
  }

  async write(source: FrameSource, dirty: readonly Rect[]): Promise<void> {
    const picture = { widthPx: source.widthPx, heightPx: source.heightPx };
    const rows = dirty.map((rect) => blitRgba(source.pixels(rect), rect, picture, this.rotationDeg, this.memory, this.framebuffer.geometry));
    try {
      if (this.stale) await this.framebuffer.writeRows(this.memory, 0, this.framebuffer.geometry.heightPx);
      else for (const { firstRow, rowCount } of rows) await this.framebuffer.writeRows(this.memory, firstRow, rowCount);
      this.stale = false;
    } catch (error) {
      this.stale = true;
      throw error;
    }
  }

  close(): Promise<void> {
    return this.framebuffer.close();
  }
}

/**
 * A PNG file, replaced whole with each frame (written beside it, then renamed), so a reader
 * (a monitor, a test, a web page) never sees half a file.
 */
export class PngFileOutput implements FrameOutput {
  readonly name = 'png';
  private readonly partial: string;

  constructor(readonly path: string) {
    this.partial = `${path}.partial`;
  }

  async write(source: FrameSource): Promise<void> {
    await writeFile(this.partial, await source.png());
    await rename(this.partial, this.path);
  }

  async close(): Promise<void> {}
}
