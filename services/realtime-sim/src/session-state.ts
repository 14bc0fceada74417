import type { RealtimeDialect } from '@voxbus/shared';
import type { Provider } from './endpoint.js';
import type { RealtimeError } from './errors.js';

/** Turn detection as the sim runs it; azure_* VAD types behave like server_vad here. */
export interface TurnDetection {
  type: string;
  threshold: number;
  prefix_padding_ms: number;
  silence_duration_ms: number;
  create_response: boolean;
  interrupt_response: boolean;
  idle_timeout_ms: number | null;
  [extra: string]: unknown;
}

/** One session, GA-shaped inside; rendered in the dialect of the connection. */
export interface SessionState {
  id: string;
  model: string;
  expiresAtS: number;
  instructions: string;
  /** GA `output_modalities` (`["audio"]` or `["text"]`); beta `modalities` maps onto it. */
  outputModalities: string[];
  voice: unknown;
  speed: number;
  transcription: Record<string, unknown> | null;
  noiseReduction: Record<string, unknown> | null;
  turnDetection: TurnDetection | null;
  tools: unknown[];
  toolChoice: unknown;
  maxOutputTokens: number | 'inf';
  temperature: number;
  /** Provider-specific fields (Voice Live's) kept and echoed as given. */
  extras: Record<string, unknown>;
}

/** Server VAD as the real GA server reports it by default (captured: on, silence 200 ms, not the documented 500). */
const DEFAULT_TURN_DETECTION: Readonly<TurnDetection> = {
  type: 'server_vad',
  threshold: 0.5,
  prefix_padding_ms: 300,
  silence_duration_ms: 200,
  create_response: true,
  interrupt_response: true,
  idle_timeout_ms: null,
};

/** The defaults a real GA server reports in `session.created`. */
export function defaultSession(id: string, model: string, nowS: number): SessionState {
  return {
    id,
    model,
    expiresAtS: nowS + 3600,
    instructions: 'You are a helpful, witty, and friendly AI. Act like a human, but remember that you are not a human.',
    outputModalities: ['audio'],
    voice: 'alloy',
    speed: 1,
    transcription: null,
    noiseReduction: null,
    turnDetection: { ...DEFAULT_TURN_DETECTION },
    tools: [],
    toolChoice: 'auto',
    maxOutputTokens: 'inf',
    temperature: 0.8,
    extras: {},
  };
}

const PCM24K = { type: 'audio/pcm', rate: 24000 };

function withoutNulls(value: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(value).filter(([, field]) => field !== null));
}

export function renderSession(session: SessionState, dialect: RealtimeDialect): Record<string, unknown> {
  if (dialect === 'ga') {
    return {
      type: 'realtime',
      object: 'realtime.session',
      id: session.id,
      model: session.model,
      output_modalities: session.outputModalities,
      instructions: session.instructions,
      tools: session.tools,
      tool_choice: session.toolChoice,
      max_output_tokens: session.maxOutputTokens,
      truncation: 'auto',
      expires_at: session.expiresAtS,
      audio: {
        // The real server sends `null` for what is off; the official schema has no null there, so
        // the sim leaves such fields out (clients must treat absent and null alike).
        input: withoutNulls({ format: PCM24K, transcription: session.transcription, noise_reduction: session.noiseReduction, turn_detection: session.turnDetection }),
        output: { format: PCM24K, voice: session.voice, speed: session.speed },
      },
    };
  }
  return withoutNulls({
    id: session.id,
    object: 'realtime.session',
    model: session.model,
    expires_at: session.expiresAtS,
    modalities: session.outputModalities.includes('audio') ? ['text', 'audio'] : ['text'],
    instructions: session.instructions,
    voice: session.voice,
    input_audio_format: 'pcm16',
    output_audio_format: 'pcm16',
    input_audio_transcription: session.transcription,
    input_audio_noise_reduction: session.noiseReduction,
    turn_detection: session.turnDetection,
    tools: session.tools,
    tool_choice: session.toolChoice,
    temperature: session.temperature,
    max_response_output_tokens: session.maxOutputTokens,
    speed: session.speed,
    ...session.extras,
  });
}

type Json = Record<string, unknown>;
const isObject = (value: unknown): value is Json => value !== null && typeof value === 'object' && !Array.isArray(value);

class UpdateRejected extends Error {
  constructor(readonly error: RealtimeError) {
    super(error.message);
  }
}

const unknownParameter = (path: string) =>
  new UpdateRejected({ type: 'invalid_request_error', code: 'unknown_parameter', message: `Unknown parameter: '${path}'.`, param: path });
const invalidValue = (path: string, message: string) =>
  new UpdateRejected({ type: 'invalid_request_error', code: 'invalid_value', message, param: path });

function onlyKeys(value: Json, allowed: readonly string[], path: string): void {
  for (const key of Object.keys(value)) if (!allowed.includes(key)) throw unknownParameter(`${path}.${key}`);
}

const VAD_TYPES_OPENAI = ['server_vad', 'semantic_vad'];
const VAD_TYPES_AZURE = [...VAD_TYPES_OPENAI, 'azure_semantic_vad', 'azure_semantic_vad_multilingual'];
const TURN_DETECTION_KEYS = ['type', 'threshold', 'prefix_padding_ms', 'silence_duration_ms', 'create_response', 'interrupt_response', 'idle_timeout_ms', 'eagerness'];
const ENERGY_VAD_KEYS = ['threshold', 'prefix_padding_ms', 'silence_duration_ms'];
const VOICE_LIVE_TURN_KEYS = ['speech_duration_ms', 'remove_filler_words', 'languages', 'end_of_utterance_detection', 'auto_truncate', 'appended_text_after_truncation'];

function mergeTurnDetection(current: TurnDetection | null, update: unknown, path: string, provider: Provider): TurnDetection | null {
  if (update === null) return null;
  if (!isObject(update)) throw invalidValue(path, `Invalid type for '${path}': expected an object, but got ${typeof update} instead.`);
  onlyKeys(update, provider === 'voice-live' ? [...TURN_DETECTION_KEYS, ...VOICE_LIVE_TURN_KEYS] : TURN_DETECTION_KEYS, path);
  const types = provider === 'voice-live' ? VAD_TYPES_AZURE : VAD_TYPES_OPENAI;
  const type = update.type ?? current?.type ?? 'server_vad';
  if (typeof type !== 'string' || !types.includes(type)) {
    throw invalidValue(`${path}.type`, `Invalid value: '${String(type)}'. Supported values are: ${types.map((t) => `'${t}'`).join(', ')}.`);
  }
  // OpenAI's semantic_vad decides by meaning: it takes `eagerness` and none of the level and
  // pause settings, which the real service rejects as unknown; server_vad takes no eagerness.
  const notFor = type === 'semantic_vad' ? ENERGY_VAD_KEYS : type === 'server_vad' ? ['eagerness'] : [];
  const misplaced = notFor.find((key) => update[key] !== undefined);
  if (misplaced) throw unknownParameter(`${path}.${misplaced}`);
  const number = (key: string, min: number, max: number, integer: boolean): void => {
    const value = update[key];
    if (value === undefined || (key === 'idle_timeout_ms' && value === null)) return;
    if (typeof value !== 'number' || (integer && !Number.isInteger(value)) || value < min || value > max) {
      throw invalidValue(`${path}.${key}`, `Invalid '${path}.${key}': expected ${integer ? 'an integer' : 'a number'} between ${min} and ${max}.`);
    }
  };
  number('threshold', 0, 1, false);
  number('prefix_padding_ms', 0, 10_000, true);
  number('silence_duration_ms', 0, 10_000, true);
  number('idle_timeout_ms', 0, 30 * 60_000, true);
  for (const key of ['create_response', 'interrupt_response']) {
    if (update[key] !== undefined && typeof update[key] !== 'boolean') throw invalidValue(`${path}.${key}`, `Invalid type for '${path}.${key}': expected a boolean.`);
  }
  const base: TurnDetection = current ?? DEFAULT_TURN_DETECTION;
  return { ...base, ...update, type } as TurnDetection;
}

function checkModalities(value: unknown, path: string, dialect: RealtimeDialect, provider: Provider): string[] {
  if (!Array.isArray(value) || value.some((m) => typeof m !== 'string')) throw invalidValue(path, `Invalid type for '${path}': expected an array of strings.`);
  const modalities = value as string[];
  if (dialect === 'ga') {
    if (!(modalities.length === 1 && (modalities[0] === 'audio' || modalities[0] === 'text'))) {
      throw invalidValue(path, `Invalid '${path}': expected ['audio'] or ['text'].`);
    }
    return modalities;
  }
  const allowed = provider === 'voice-live' ? ['text', 'audio', 'animation', 'avatar'] : ['text', 'audio'];
  const bad = modalities.find((m) => !allowed.includes(m));
  if (bad) throw invalidValue(path, `Invalid value: '${bad}'. Supported values are: ${allowed.map((m) => `'${m}'`).join(', ')}.`);
  // Azure (beta schema) rejects audio without text.
  if (modalities.includes('audio') && !modalities.includes('text')) throw invalidValue(path, `Invalid '${path}': 'audio' requires 'text'.`);
  return modalities.includes('audio') ? ['audio'] : ['text'];
}

const GA_KEYS = ['type', 'model', 'instructions', 'output_modalities', 'audio', 'include', 'tracing', 'tools', 'tool_choice', 'max_output_tokens', 'truncation', 'prompt', 'reasoning', 'parallel_tool_calls'];
const BETA_KEYS = [
  'model', 'modalities', 'instructions', 'voice', 'input_audio_format', 'output_audio_format', 'input_audio_transcription',
  'input_audio_noise_reduction', 'turn_detection', 'tools', 'tool_choice', 'temperature', 'max_response_output_tokens', 'speed', 'tracing',
];
const VOICE_LIVE_KEYS = ['input_audio_sampling_rate', 'input_audio_echo_cancellation', 'avatar', 'animation', 'output_audio_timestamp_types', 'interim_response', 'reasoning_effort', 'metadata'];

export interface UpdateContext {
  readonly dialect: RealtimeDialect;
  readonly provider: Provider;
  /** Once the model has spoken, the voice is locked. */
  readonly assistantAudioSent: boolean;
}

/**
 * Applies a `session.update` the way the real server does: all or nothing, strict about field
 * names of the other dialect, and the real error (code, message, param) when it refuses.
 */
export function applySessionUpdate(session: SessionState, update: unknown, context: UpdateContext): { session: SessionState } | { error: RealtimeError } {
  try {
    if (!isObject(update)) throw invalidValue('session', "Invalid type for 'session': expected an object.");
    const next: SessionState = structuredClone(session);
    if (context.dialect === 'ga') applyGa(next, update, context);
    else applyBeta(next, update, context);
    const voiceChanged = JSON.stringify(next.voice) !== JSON.stringify(session.voice);
    if (voiceChanged && context.assistantAudioSent) {
      throw new UpdateRejected({
        type: 'invalid_request_error',
        code: 'cannot_update_voice',
        message: "Cannot update a conversation's voice if assistant audio is present.",
        param: context.dialect === 'ga' ? 'session.audio.output.voice' : 'session.voice',
      });
    }
    return { session: next };
  } catch (error) {
    if (error instanceof UpdateRejected) return { error: error.error };
    throw error;
  }
}

function applyGa(next: SessionState, update: Json, context: UpdateContext): void {
  onlyKeys(update, GA_KEYS, 'session');
  if (update.type === undefined) {
    throw new UpdateRejected({ type: 'invalid_request_error', code: 'missing_required_parameter', message: "Missing required parameter: 'session.type'.", param: 'session.type' });
  }
  if (update.type !== 'realtime') {
    throw invalidValue('session.type', update.type === 'transcription'
      ? 'Passing a transcription session update event to a realtime session is not allowed.'
      : `Invalid value: '${String(update.type)}'. Supported values are: 'realtime' and 'transcription'.`);
  }
  if (update.instructions !== undefined) next.instructions = String(update.instructions);
  if (update.output_modalities !== undefined) next.outputModalities = checkModalities(update.output_modalities, 'session.output_modalities', 'ga', context.provider);
  if (update.tools !== undefined) next.tools = update.tools as unknown[];
  if (update.tool_choice !== undefined) next.toolChoice = update.tool_choice;
  if (update.max_output_tokens !== undefined) next.maxOutputTokens = update.max_output_tokens as number | 'inf';
  const audio = update.audio;
  if (audio === undefined) return;
  if (!isObject(audio)) throw invalidValue('session.audio', "Invalid type for 'session.audio': expected an object.");
  onlyKeys(audio, ['input', 'output'], 'session.audio');
  if (isObject(audio.input)) {
    const input = audio.input;
    onlyKeys(input, ['format', 'transcription', 'noise_reduction', 'turn_detection'], 'session.audio.input');
    if (input.format !== undefined) checkPcm24k(input.format, 'session.audio.input.format');
    if (input.transcription !== undefined) next.transcription = input.transcription as Json | null;
    if (input.noise_reduction !== undefined) next.noiseReduction = input.noise_reduction as Json | null;
    if (input.turn_detection !== undefined) next.turnDetection = mergeTurnDetection(next.turnDetection, input.turn_detection, 'session.audio.input.turn_detection', context.provider);
  }
  if (isObject(audio.output)) {
    const output = audio.output;
    onlyKeys(output, ['format', 'voice', 'speed'], 'session.audio.output');
    if (output.format !== undefined) checkPcm24k(output.format, 'session.audio.output.format');
    if (output.voice !== undefined) next.voice = output.voice;
    if (output.speed !== undefined) next.speed = Number(output.speed);
  }
}

/** The sim speaks PCM16 at 24 kHz only; G.711 is refused rather than silently mangled. */
function checkPcm24k(format: unknown, path: string): void {
  if (typeof format === 'string' ? format === 'pcm16' : isObject(format) && format.type === 'audio/pcm' && (format.rate === undefined || format.rate === 24000)) return;
  throw invalidValue(path, `Invalid '${path}': this simulator supports 24 kHz PCM16 only.`);
}

function applyBeta(next: SessionState, update: Json, context: UpdateContext): void {
  onlyKeys(update, context.provider === 'voice-live' ? [...BETA_KEYS, ...VOICE_LIVE_KEYS] : BETA_KEYS, 'session');
  if (update.instructions !== undefined) next.instructions = String(update.instructions);
  if (update.modalities !== undefined) next.outputModalities = checkModalities(update.modalities, 'session.modalities', 'beta', context.provider);
  if (update.voice !== undefined) next.voice = update.voice;
  for (const key of ['input_audio_format', 'output_audio_format']) if (update[key] !== undefined) checkPcm24k(update[key], `session.${key}`);
  if (update.input_audio_transcription !== undefined) next.transcription = update.input_audio_transcription as Json | null;
  if (update.input_audio_noise_reduction !== undefined) next.noiseReduction = update.input_audio_noise_reduction as Json | null;
  if (update.turn_detection !== undefined) next.turnDetection = mergeTurnDetection(next.turnDetection, update.turn_detection, 'session.turn_detection', context.provider);
  if (update.tools !== undefined) next.tools = update.tools as unknown[];
  if (update.tool_choice !== undefined) next.toolChoice = update.tool_choice;
  if (update.temperature !== undefined) next.temperature = Number(update.temperature);
  if (update.max_response_output_tokens !== undefined) next.maxOutputTokens = update.max_response_output_tokens as number | 'inf';
  if (update.speed !== undefined) next.speed = Number(update.speed);
  for (const key of VOICE_LIVE_KEYS) if (update[key] !== undefined) next.extras[key] = update[key];
}
