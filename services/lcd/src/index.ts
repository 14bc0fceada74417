/** The lcd's parts, for benchmarks and tools (the service itself is main.ts). */
export { DEFAULT_FONT_FILES, LCD_DEFAULTS, type LcdConfig } from './config.js';
export { Display, type FrameTiming } from './display.js';
export { createFakeFramebuffer } from './fake-framebuffer.js';
export { loadFonts } from './fonts.js';
export { Framebuffer, FramebufferError } from './framebuffer.js';
export { FramebufferOutput, PngFileOutput } from './outputs.js';
export { panelToRgba } from './pixel-format.js';
export { ScreenRenderer } from './renderer.js';
export { EMPTY_SCREEN, reduceScreen, type ScreenEvent, type ScreenModel } from './screen-model.js';
