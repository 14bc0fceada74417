import type { Payload } from '@voxbus/shared';
import type { DspConfig } from './config.js';

type DspState = Payload<'dsp.state'>;

/** What the chain does to the microphone, as `dsp/state` shows it (resampling depends on the input's rate). */
export function stagesOf(config: DspConfig, input: DspState['input'], modelRateHz: number): DspState['stages'] {
  return {
    dcRemoval: config.dcRemoval,
    downmix: config.downmix === 'pick' ? `channel ${config.pickChannel}` : 'mix',
    resample: input !== null && input.sampleRateHz !== modelRateHz,
    echoCancellation: config.echoCancellation,
    noiseSuppression: config.noiseSuppression,
    gainControl: config.gainControl,
    vad: config.vad,
  };
}
