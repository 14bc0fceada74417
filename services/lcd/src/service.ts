import { defineService, errorMessage, packageVersion } from '@voxbus/shared';
import { LCD_DEFAULTS, LcdConfigSchema } from './config.js';

/** The lcd service's definition: run alone by main.ts, or with others in one process (all-in-one). */
export const service = defineService({
  name: 'lcd',
  version: packageVersion(import.meta.url),
  configSchema: LcdConfigSchema,
  configDefaults: LCD_DEFAULTS,
  async start({ config, log, bus, clock, metrics }) {
    // Loaded here, not at the top: the screen's code only where it runs. Skia itself is loaded
    // on first use (skia.ts): without a build for this machine (@napi-rs/canvas ships one per
    // platform) the service says which and stops, instead of dying on an import.
    let startLcd: typeof import('./lcd.js').startLcd;
    try {
      ({ startLcd } = await import('./lcd.js'));
    } catch (error) {
      throw new Error(`cannot load the drawing library @napi-rs/canvas for ${process.platform}-${process.arch}: ${errorMessage(error)}`);
    }
    return startLcd(config, { bus, clock, log, metrics });
  },
});
