import { errorMessage, type Logger } from '@voxbus/shared';
import type { LcdConfig } from './config.js';
import { Framebuffer } from './framebuffer.js';
import { type FrameOutput, FramebufferOutput, PngFileOutput } from './outputs.js';
import { pictureSize } from './pixel-format.js';

export interface OpenedOutputs {
  readonly outputs: FrameOutput[];
  /** The picture's size: the framebuffer's (turned by the rotation), else the configured one. */
  readonly widthPx: number;
  readonly heightPx: number;
}

/**
 * The framebuffer if it can be used, the PNG file always or as its fallback. A framebuffer that
 * cannot be used is one error in the log (not one per frame); with no output at all the
 * service still runs, says so, and draws nothing.
 */
export async function openOutputs(config: LcdConfig, log: Logger): Promise<OpenedOutputs> {
  const outputs: FrameOutput[] = [];
  let size = { widthPx: config.widthPx, heightPx: config.heightPx };
  let framebufferFailed = false;
  if (config.framebuffer.device) {
    try {
      const framebuffer = await Framebuffer.open(config.framebuffer.device, config.framebuffer.sysfsDir, config.framebuffer.pixelFormat);
      outputs.push(new FramebufferOutput(framebuffer, config.rotationDeg));
      size = pictureSize(framebuffer.geometry, config.rotationDeg);
      log.info({ device: framebuffer.device, ...framebuffer.geometry, rotationDeg: config.rotationDeg }, 'drawing to the framebuffer');
    } catch (error) {
      framebufferFailed = true;
      const fallback = config.png.path ? `drawing to ${config.png.path} instead` : 'and no PNG file is configured: nothing will be drawn';
      log.error({ err: errorMessage(error) }, `framebuffer unavailable, ${fallback}`);
    }
  }
  if (config.png.path && (config.png.when === 'always' || outputs.length === 0)) {
    outputs.push(new PngFileOutput(config.png.path));
    log.info({ path: config.png.path, ...size }, 'drawing to a PNG file');
  }
  if (outputs.length === 0 && !framebufferFailed) log.error('no output configured (framebuffer.device and png.path are both empty): nothing will be drawn');
  return { outputs, ...size };
}
