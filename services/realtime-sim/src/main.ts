#!/usr/bin/env node
import { packageVersion, runService } from '@voxbus/shared';
import { replyFromTemplate, SIM_DEFAULTS, SimConfigSchema } from './config.js';
import { startSimServer } from './server.js';
import { pickVoice } from './voice.js';

await runService({
  name: 'realtime-sim',
  version: packageVersion(import.meta.url),
  configSchema: SimConfigSchema,
  configDefaults: SIM_DEFAULTS,
  async start({ config, log, clock, metrics }) {
    const voice = await pickVoice(config.voice);
    const server = await startSimServer({
      ...config,
      voice,
      clock,
      log: log.child({ module: 'sim' }),
      metrics,
      replyText: ({ spokenMs, userText }) => replyFromTemplate(config.replyTemplate, spokenMs, userText),
    });
    return { stop: () => server.close() };
  },
});
