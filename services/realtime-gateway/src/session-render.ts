import { ConfigError, type RealtimeDialect } from '@voxbus/shared';
import { DEFAULT_SERVER_VAD, type GatewayConfig } from './config.js';
import { PROVIDERS, type Provider } from './providers.js';

type Json = Record<string, unknown>;

/** How turns are taken, when conversation-state has said (the turn-detection command). */
export interface TurnMode {
  readonly mode: 'server' | 'manual';
  readonly interruptResponse: boolean;
}

/** The turn detection to render: the configured one, unless a turn mode overrides it. */
function turnDetectionFor(config: GatewayConfig, turns: TurnMode | undefined): GatewayConfig['turnDetection'] {
  if (turns === undefined) return config.turnDetection;
  if (turns.mode === 'manual') return null;
  return { ...(config.turnDetection ?? DEFAULT_SERVER_VAD), createResponse: true, interruptResponse: turns.interruptResponse };
}

/**
 * The configured session as a `session.update` body in the endpoint's dialect: GA nests audio
 * settings under `audio.input`/`audio.output` and needs `type`; beta is flat, and Azure wants
 * text with audio. `turns` (from the turn-detection command) replaces the configured turn
 * detection; `patch` (from the update-session command) is merged last, in the same dialect.
 */
export function renderSessionUpdate(config: GatewayConfig, dialect: RealtimeDialect, provider: Provider, patch: Json = {}, turns?: TurnMode): Json {
  const td = turnDetectionFor(config, turns);
  const turnDetection = td ? renderTurnDetection(td) : null;
  const transcription = config.transcriptionModel ? { model: config.transcriptionModel } : null;
  const voiceLive = PROVIDERS[provider].voiceLiveFields;
  if (!voiceLive && (config.echoCancellation || config.noiseReduction === 'azure_deep_noise_suppression' || config.voiceType !== 'openai' || td?.type.startsWith('azure_'))) {
    throw new ConfigError('echoCancellation, azure_deep_noise_suppression, Azure voices and azure_* turn detection are Azure Voice Live features (provider voice-live)');
  }
  const noiseReduction = config.noiseReduction === 'off' ? null : { type: config.noiseReduction };
  const tools = config.tools.map((tool) => ({ type: 'function', name: tool.name, description: tool.description, parameters: tool.parameters }));
  if (dialect === 'ga') {
    const input: Json = { format: { type: 'audio/pcm', rate: 24000 }, turn_detection: turnDetection };
    if (transcription) input.transcription = transcription;
    if (noiseReduction) input.noise_reduction = noiseReduction;
    return deepMerge(
      {
        type: 'realtime',
        instructions: config.instructions,
        output_modalities: ['audio'],
        audio: { input, output: { format: { type: 'audio/pcm', rate: 24000 }, voice: config.voice } },
        tools,
        tool_choice: 'auto',
      },
      patch,
    );
  }
  const session: Json = {
    instructions: config.instructions,
    modalities: ['text', 'audio'],
    voice: voiceLive ? { type: config.voiceType, name: config.voice } : config.voice,
    input_audio_format: 'pcm16',
    output_audio_format: 'pcm16',
    turn_detection: turnDetection,
    tools,
    tool_choice: 'auto',
  };
  if (transcription) session.input_audio_transcription = transcription;
  if (noiseReduction) session.input_audio_noise_reduction = noiseReduction;
  if (voiceLive && config.echoCancellation) session.input_audio_echo_cancellation = { type: 'server_echo_cancellation' };
  return deepMerge(session, patch);
}

/**
 * OpenAI's semantic_vad decides by meaning, not by level and pauses: it takes `eagerness`, and the
 * service rejects threshold, prefix_padding_ms and silence_duration_ms as unknown parameters.
 * server_vad and Voice Live's azure_* detections take those three, and no eagerness.
 */
function renderTurnDetection(td: NonNullable<GatewayConfig['turnDetection']>): Json {
  const decides = { create_response: td.createResponse, interrupt_response: td.interruptResponse };
  if (td.type === 'semantic_vad') return { type: td.type, ...(td.eagerness ? { eagerness: td.eagerness } : {}), ...decides };
  return { type: td.type, threshold: td.threshold, prefix_padding_ms: td.prefixPaddingMs, silence_duration_ms: td.silenceDurationMs, ...decides };
}

function deepMerge(base: Json, patch: Json): Json {
  const out: Json = { ...base };
  for (const [key, value] of Object.entries(patch)) {
    const existing = out[key];
    out[key] =
      value && typeof value === 'object' && !Array.isArray(value) && existing && typeof existing === 'object' && !Array.isArray(existing)
        ? deepMerge(existing as Json, value as Json)
        : value;
  }
  return out;
}
