/**
 * Canvas pixels (RGBA bytes, the picture as the person sees it) into framebuffer memory (the
 * panel's pixel format and orientation), and back for tests. Pixels are little-endian words, as
 * the kernel lays them out on every board we target: rgb565 is `rrrrrggg gggbbbbb` stored low
 * byte first, xrgb8888 is 0x00RRGGBB stored as B, G, R, X.
 */
export type PixelFormat = 'rgb565' | 'bgr565' | 'xrgb8888' | 'xbgr8888';
export type RotationDeg = 0 | 90 | 180 | 270;

export interface Rect {
  readonly x: number;
  readonly y: number;
  readonly width: number;
  readonly height: number;
}

/** A framebuffer's memory layout. */
export interface PanelGeometry {
  readonly widthPx: number;
  readonly heightPx: number;
  readonly strideBytes: number;
  readonly format: PixelFormat;
}

export function bytesPerPixel(format: PixelFormat): 2 | 4 {
  return format === 'rgb565' || format === 'bgr565' ? 2 : 4;
}

/** The picture's size for a panel turned by `rotationDeg`. */
export function pictureSize(panel: { widthPx: number; heightPx: number }, rotationDeg: RotationDeg): { widthPx: number; heightPx: number } {
  return rotationDeg === 90 || rotationDeg === 270 ? { widthPx: panel.heightPx, heightPx: panel.widthPx } : { ...panel };
}

/** Where picture pixel (x, y) lands on the panel. */
function panelPoint(x: number, y: number, picture: { widthPx: number; heightPx: number }, rotationDeg: RotationDeg): [number, number] {
  switch (rotationDeg) {
    case 0:
      return [x, y];
    case 90:
      return [picture.heightPx - 1 - y, x];
    case 180:
      return [picture.widthPx - 1 - x, picture.heightPx - 1 - y];
    case 270:
      return [y, picture.widthPx - 1 - x];
  }
}

/** The panel rectangle a picture rectangle covers. */
export function panelRect(rect: Rect, picture: { widthPx: number; heightPx: number }, rotationDeg: RotationDeg): Rect {
  const [ax, ay] = panelPoint(rect.x, rect.y, picture, rotationDeg);
  const [bx, by] = panelPoint(rect.x + rect.width - 1, rect.y + rect.height - 1, picture, rotationDeg);
  return { x: Math.min(ax, bx), y: Math.min(ay, by), width: Math.abs(bx - ax) + 1, height: Math.abs(by - ay) + 1 };
}

/**
 * Writes `rgba` (the picture pixels of `rect`, row by row) into `target`, a copy of the panel's
 * memory. Returns the panel rows touched, for a write of just those.
 */
export function blitRgba(
  rgba: Uint8Array | Uint8ClampedArray,
  rect: Rect,
  picture: { widthPx: number; heightPx: number },
  rotationDeg: RotationDeg,
  target: Buffer,
  panel: PanelGeometry,
): { firstRow: number; rowCount: number } {
  const bpp = bytesPerPixel(panel.format);
  const { format, strideBytes } = panel;
  // One step right in the picture is a fixed step in panel memory for each rotation.
  const columnStep = { 0: bpp, 90: strideBytes, 180: -bpp, 270: -strideBytes }[rotationDeg];
  let source = 0;
  for (let row = 0; row < rect.height; row++) {
    const [px, py] = panelPoint(rect.x, rect.y + row, picture, rotationDeg);
    let at = py * strideBytes + px * bpp;
    for (let column = 0; column < rect.width; column++, source += 4, at += columnStep) {
      const r = rgba[source] as number;
      const g = rgba[source + 1] as number;
      const b = rgba[source + 2] as number;
      switch (format) {
        case 'rgb565':
          target.writeUInt16LE(((r & 0xf8) << 8) | ((g & 0xfc) << 3) | (b >> 3), at);
          break;
        case 'bgr565':
          target.writeUInt16LE(((b & 0xf8) << 8) | ((g & 0xfc) << 3) | (r >> 3), at);
          break;
        case 'xrgb8888':
          target[at] = b;
          target[at + 1] = g;
          target[at + 2] = r;
          target[at + 3] = 0xff;
          break;
        case 'xbgr8888':
          target[at] = r;
          target[at + 1] = g;
          target[at + 2] = b;
          target[at + 3] = 0xff;
          break;
      }
    }
  }
  const touched = panelRect(rect, picture, rotationDeg);
  return { firstRow: touched.y, rowCount: touched.height };
}

/** Panel memory back to RGBA in panel orientation (565 expanded by bit replication): for tests and tools. */
export function panelToRgba(memory: Buffer, panel: PanelGeometry): Uint8Array {
  const out = new Uint8Array(panel.widthPx * panel.heightPx * 4);
  const bpp = bytesPerPixel(panel.format);
  for (let y = 0; y < panel.heightPx; y++) {
    for (let x = 0; x < panel.widthPx; x++) {
      const at = y * panel.strideBytes + x * bpp;
      const o = (y * panel.widthPx + x) * 4;
      let r: number;
      let g: number;
      let b: number;
      if (bpp === 2) {
        const word = memory.readUInt16LE(at);
        const hi = ((word >> 11) & 0x1f) * 255 / 31;
        const lo = (word & 0x1f) * 255 / 31;
        g = Math.round(((word >> 5) & 0x3f) * 255 / 63);
        [r, b] = panel.format === 'rgb565' ? [Math.round(hi), Math.round(lo)] : [Math.round(lo), Math.round(hi)];
      } else {
        const [c0, c1, c2] = [memory[at] as number, memory[at + 1] as number, memory[at + 2] as number];
        [r, g, b] = panel.format === 'xrgb8888' ? [c2, c1, c0] : [c0, c1, c2];
      }
      out[o] = r;
      out[o + 1] = g;
      out[o + 2] = b;
      out[o + 3] = 255;
    }
  }
  return out;
}
