import type { VoiceEngineName, VoiceProcessorOptions } from '@voxbus/dsp';
import { ConfigError } from '@voxbus/shared';
import type { DspConfig } from './config.js';
import type { EchoPathOptions } from './echo-path.js';

/** `auto` takes the best engine the backend has; a named one must be there. */
export function chooseEngine(wanted: DspConfig['engine'], available: readonly VoiceEngineName[]): VoiceEngineName {
  if (wanted === 'auto') {
    const best = available[0];
    if (best === undefined) throw new ConfigError('the DSP backend offers no voice-processing engine');
    return best;
  }
  if (!available.includes(wanted)) {
    throw new ConfigError(
      `dsp.engine is '${wanted}', but this build has only ${available.join(', ')} (webrtc needs libwebrtc-audio-processing-dev 0.3 when the addon is built; set engine to auto)`,
    );
  }
  return wanted;
}

/** The voice processor as the configuration asks for it, at the model's rate. */
export function voiceProcessorOptions(engine: VoiceEngineName, sampleRateHz: number, config: DspConfig): VoiceProcessorOptions {
  return {
    engine,
    sampleRateHz,
    echoCancellation: config.echoCancellation,
    echoSuppression: config.echoSuppression,
    echoTailMs: config.echoTailMs,
    noiseSuppression: config.noiseSuppression,
    noiseLevel: config.noiseLevel,
    gainControl: config.gainControl,
    gainTargetDbfs: config.gainTargetDbfs,
    gainMaxDb: config.gainMaxDb,
    vad: config.vad,
    vadLikelihood: config.vadLikelihood,
  };
}

/** The echo path (reference placement, delay search, gate) as the configuration asks for it. */
export function echoPathOptions(rateHz: number, chunkMs: number, config: DspConfig): EchoPathOptions {
  return {
    rateHz,
    chunkMs,
    resampleQuality: config.resampleQuality,
    tailMs: config.echoTailMs,
    startDelayMs: config.echoDelayMs,
    maxDelayMs: config.echoDelayMaxMs,
    doubleTalkMarginDb: config.doubleTalkMarginDb,
    gateDb: config.echoGateDb,
    gateHoldMs: config.echoGateHoldMs,
    minVoiceMs: config.doubleTalkMinMs,
    leakCorrelation: config.echoLeakCorrelation,
    convergedErleDb: config.convergedErleDb,
  };
}
