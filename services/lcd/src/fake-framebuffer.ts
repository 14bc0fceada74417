import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface FakeFramebufferSpec {
  readonly widthPx: number;
  readonly heightPx: number;
  readonly bitsPerPixel: number;
  /** Bytes per row; more than width × bytes per pixel where the driver pads rows. */
  readonly strideBytes?: number;
}

/**
 * A file standing in for `/dev/fbN`, with the sysfs attributes the kernel would publish for it,
 * under `dir`: for tests and benchmarks on machines without a panel. Point the lcd at
 * `device` with `framebuffer.sysfsDir` = `sysfsDir`.
 */
export function createFakeFramebuffer(dir: string, spec: FakeFramebufferSpec): { device: string; sysfsDir: string; strideBytes: number } {
  const strideBytes = spec.strideBytes ?? (spec.widthPx * spec.bitsPerPixel) / 8;
  const device = join(dir, 'fb0');
  const sysfsDir = join(dir, 'sys');
  mkdirSync(join(sysfsDir, 'fb0'), { recursive: true });
  writeFileSync(device, Buffer.alloc(strideBytes * spec.heightPx));
  writeFileSync(join(sysfsDir, 'fb0', 'virtual_size'), `${spec.widthPx},${spec.heightPx}\n`);
  writeFileSync(join(sysfsDir, 'fb0', 'bits_per_pixel'), `${spec.bitsPerPixel}\n`);
  writeFileSync(join(sysfsDir, 'fb0', 'stride'), `${strideBytes}\n`);
  return { device, sysfsDir, strideBytes };
}
