import { defineService, packageVersion } from '@voxbus/shared';
import { replyFromTemplate, SIM_DEFAULTS, SimConfigSchema } from './config.js';
import { defaultToolTrigger } from './realtime-session.js';
import { startSimServer } from './server.js';
import { serverCertificate } from './sim-tls.js';
import { pickVoice } from './voice.js';

/** The realtime-sim service's definition: run alone by main.ts, or with others in one process (all-in-one). */
export const service = defineService({
  name: 'realtime-sim',
  version: packageVersion(import.meta.url),
  configSchema: SimConfigSchema,
  configDefaults: SIM_DEFAULTS,
  async start({ config, log, clock, metrics, bus }) {
    const voice = await pickVoice(config.voice);
    const tls = await serverCertificate(config);
    const { host, port, apiKey, realtimeFactor, deltaMs, sessionMaxMs } = config;
    const server = await startSimServer({
      host,
      port,
      apiKey,
      realtimeFactor,
      deltaMs,
      sessionMaxMs,
      voice,
      clock,
      log: log.child({ module: 'sim' }),
      metrics,
      replyText: ({ spokenMs, userText, toolOutput }) => replyFromTemplate(config.replyTemplate, spokenMs, userText, toolOutput),
      toolTrigger: defaultToolTrigger(config.spokenTurnTool),
      onTiming: (timing) => bus.publish('realtime-sim.event.timing', {}, timing),
      ...(tls ? { tls } : {}),
    });
    bus.subscribe('realtime-sim', 'realtime-sim.cmd.fault', {}, ({ payload }) => {
      if (payload.kind === 'stall') server.inject({ kind: 'stall', durationMs: payload.durationMs ?? 5000 });
      else if (payload.kind === 'oversized') server.inject({ kind: 'oversized', bytes: payload.bytes ?? 20 * 1024 * 1024 });
      else server.inject({ kind: payload.kind });
    });
    return {
      stop: async () => {
        bus.unsubscribeAll('realtime-sim');
        await server.close();
      },
    };
  },
});
