#!/usr/bin/env node
import { packageVersion, runService } from '@voxbus/shared';
import { LCD_DEFAULTS, LcdConfigSchema } from './config.js';
import { startLcd } from './lcd.js';

await runService({
  name: 'lcd',
  version: packageVersion(import.meta.url),
  configSchema: LcdConfigSchema,
  configDefaults: LCD_DEFAULTS,
  start: ({ config, log, bus, clock, metrics }) => startLcd(config, { bus, clock, log, metrics }),
});
