import { NativeDspBackend } from '@voxbus/dsp';
import { defineService, packageVersion } from '@voxbus/shared';
import { DSP_DEFAULTS, DspConfigSchema } from './config.js';
import { DspChain } from './dsp-chain.js';

const OWNER = 'dsp';

/** The dsp service's definition: run alone by main.ts, or with others in one process (all-in-one). */
export const service = defineService({
  name: 'dsp',
  version: packageVersion(import.meta.url),
  configSchema: DspConfigSchema,
  configDefaults: DSP_DEFAULTS,
  async start({ config, log, bus, clock, metrics }) {
    const chain = new DspChain(config, {
      backend: new NativeDspBackend(),
      clock,
      log,
      metrics,
      publishFrame: (frame) => bus.publish('audio.input', {}, frame),
      publishVad: (event) => bus.publish('dsp.event.vad', {}, event),
      publishLevels: (levels) => bus.publish('dsp.event.levels', {}, levels),
      publishState: (state) => bus.publish('dsp.state', {}, state),
    });
    bus.subscribe(OWNER, 'audio.mic', {}, ({ payload }) => chain.microphone(payload));
    bus.subscribe(OWNER, 'audio.played', {}, ({ payload }) => chain.played(payload));
    bus.subscribe(OWNER, 'dsp.cmd.mute', {}, () => chain.muteOutput(true));
    bus.subscribe(OWNER, 'dsp.cmd.unmute', {}, () => chain.muteOutput(false));
    chain.start();
    return {
      stop: () => {
        bus.unsubscribeAll(OWNER);
        chain.stop();
      },
    };
  },
});
