import { type Static, Type } from '@sinclair/typebox';
import { REALTIME_PROVIDERS, StringEnum } from '@voxbus/shared';

const TurnDetection = Type.Object(
  {
    type: StringEnum(['server_vad', 'semantic_vad', 'azure_semantic_vad', 'azure_semantic_vad_multilingual']),
    threshold: Type.Number({ minimum: 0, maximum: 1 }),
    prefixPaddingMs: Type.Integer({ minimum: 0 }),
    silenceDurationMs: Type.Integer({ minimum: 0 }),
    createResponse: Type.Boolean(),
    interruptResponse: Type.Boolean(),
    eagerness: Type.Optional(
      StringEnum(['auto', 'low', 'medium', 'high'], {
        description: 'semantic_vad only, which takes none of threshold, prefixPaddingMs and silenceDurationMs (they are not sent with it)',
      }),
    ),
  },
  { additionalProperties: false },
);

const Tool = Type.Object(
  {
    name: Type.String({ pattern: '^[a-zA-Z0-9_-]{1,64}$' }),
    description: Type.String(),
    parameters: Type.Object({}, { additionalProperties: true, description: 'JSON Schema of the arguments' }),
  },
  { additionalProperties: false },
);

export const GatewayConfigSchema = Type.Object(
  {
    provider: StringEnum(['auto', ...REALTIME_PROVIDERS], {
      description: '`auto`: OpenAI when apiKey is set, otherwise the local realtime-sim',
    }),
    /** Base URL of the service: wss://api.openai.com, wss://<resource>.openai.azure.com, … */
    endpoint: Type.String({ description: 'base URL; empty for OpenAI (wss://api.openai.com) and the sim (simUrl)' }),
    model: Type.String({ minLength: 1, description: 'model, or the Azure deployment name' }),
    apiVersion: Type.String({ description: 'for azure-preview and voice-live' }),
    apiKey: Type.String({ secret: true, description: 'sent only in a header, never in the URL, on the bus or in logs' }),
    auth: StringEnum(['api-key', 'entra-id'], {
      description: '`entra-id` (Azure providers): a bearer token from DefaultAzureCredential, fetched at every connect',
    }),
    entraScope: Type.String({ description: 'token scope; empty: cognitiveservices for Azure OpenAI, ai.azure.com for Voice Live' }),
    simUrl: Type.String({ description: 'where the realtime-sim listens' }),
    simApiKey: Type.String({ secret: true }),
    instructions: Type.String(),
    voice: Type.String(),
    voiceType: StringEnum(['openai', 'azure-standard', 'azure-custom'], {
      description: 'Voice Live: whose voice `voice` names (en-US-AvaNeural is azure-standard)',
    }),
    noiseReduction: StringEnum(['off', 'near_field', 'far_field', 'azure_deep_noise_suppression'], {
      description: 'server-side input noise reduction; azure_deep_noise_suppression is Voice Live only',
    }),
    echoCancellation: Type.Boolean({ description: 'Voice Live server echo cancellation (the board plays audio as it arrives, as it assumes)' }),
    turnDetection: Type.Union([TurnDetection, Type.Null()], { description: 'null: manual turns (push-to-talk commits)' }),
    transcriptionModel: Type.String({ description: 'input transcription model; empty: off' }),
    tools: Type.Array(Tool),
    rawSkipped: Type.Array(Type.String({ minLength: 1 }), {
      description: 'server event types not mirrored on `event/raw/<type>`: by default the lifecycle events no one acts on (each item and content part added and done, rate limits); `[]` mirrors every one',
    }),
    transcriptDeltaMs: Type.Integer({ minimum: 0, maximum: 2000, description: 'transcript deltas of one item within this many ms go out joined in one message (the first at once); 0: each as it comes' }),
    appendBatchMs: Type.Integer({ minimum: 20, maximum: 1000, description: 'input audio per input_audio_buffer.append: 20 sends each dsp frame as it comes (bench:gateway: 4.3 % of a core against 4.1 % at 100, and 1.4 ms of wait at p50 against 42); the audio before a commit always goes at once' }),
    keepaliveMs: Type.Integer({ minimum: 1000, description: 'WebSocket ping period; two missed pongs drop the link' }),
    reconnectInitialMs: Type.Integer({ minimum: 50 }),
    reconnectMaxMs: Type.Integer({ minimum: 100 }),
    sessionRotateMs: Type.Integer({ minimum: 1000, description: 'a fresh session (the conversation carried over) before the service\'s 60-minute cap' }),
    sessionRotateGraceMs: Type.Integer({ minimum: 0, description: 'how long a due rotation waits for a quiet moment (no reply, nobody speaking) before it happens anyway' }),
    greeting: Type.String({ description: 'instructions for a first reply when a conversation starts (the assistant speaks first); empty: it waits for the user' }),
    toolTimeoutMs: Type.Integer({ minimum: 100, description: 'a tool call nobody answers gets an error result after this' }),
    maxMessageBytes: Type.Integer({ minimum: 1_048_576 }),
    headers: Type.Record(Type.String(), Type.String(), { secret: true, description: 'extra handshake headers (a proxy\'s or API gateway\'s); not the key\'s' }),
    tlsCaFile: Type.String({ description: 'PEM CA certificates to trust besides Node\'s own (a TLS-inspecting proxy, the sim\'s tlsCertOut)' }),
    tlsCertFile: Type.String({ description: 'PEM client certificate, for endpoints that ask for one' }),
    tlsKeyFile: Type.String({ description: 'PEM private key of tlsCertFile' }),
    tlsInsecure: Type.Boolean({ description: 'do not check the service\'s certificate (a lab only)' }),
    perMessageDeflate: Type.Boolean({ description: 'offer permessage-deflate (compressed frames: less traffic, more CPU)' }),
  },
  { additionalProperties: false },
);

/** The realtime protocol's lifecycle events for items and content parts, and the rate limits: noise on a monitor's bus. */
export const RAW_LIFECYCLE_EVENTS = [
  'conversation.item.added',
  'conversation.item.created',
  'conversation.item.done',
  'response.output_item.added',
  'response.output_item.done',
  'response.content_part.added',
  'response.content_part.done',
  'input_audio_buffer.committed',
  'rate_limits.updated',
] as const;

export type GatewayConfig = Static<typeof GatewayConfigSchema>;

/** Server VAD with the service's documented defaults (docs/realtime.md §2). */
export const DEFAULT_SERVER_VAD: NonNullable<GatewayConfig['turnDetection']> = {
  type: 'server_vad',
  threshold: 0.5,
  prefixPaddingMs: 300,
  silenceDurationMs: 500,
  createResponse: true,
  interruptResponse: true,
};

export const GATEWAY_DEFAULTS: GatewayConfig = {
  provider: 'auto',
  endpoint: '',
  model: 'gpt-realtime',
  apiVersion: '',
  apiKey: '',
  auth: 'api-key',
  entraScope: '',
  simUrl: 'ws://127.0.0.1:8765',
  simApiKey: 'voxbus-sim',
  instructions:
    'You are a helpful voice assistant on a small board. Answer briefly. When the person says goodbye or wants to stop talking, say a short goodbye and call finish_conversation.',
  voice: 'alloy',
  voiceType: 'openai',
  noiseReduction: 'off',
  echoCancellation: false,
  turnDetection: DEFAULT_SERVER_VAD,
  transcriptionModel: '',
  // Eight lifecycle events a reply makes, which say nothing the gateway's own topics do not: 10 a turn, a third of a conversation's messages.
  rawSkipped: [...RAW_LIFECYCLE_EVENTS],
  transcriptDeltaMs: 150,
  // Answered by conversation-state, which ends the conversation once the goodbye has played.
  tools: [
    {
      name: 'finish_conversation',
      description: 'End the conversation: the board stops listening until it is woken again.',
      parameters: { type: 'object', properties: {}, additionalProperties: false },
    },
  ],
  appendBatchMs: 20,
  keepaliveMs: 10_000,
  reconnectInitialMs: 500,
  reconnectMaxMs: 30_000,
  sessionRotateMs: 55 * 60_000,
  // 55 + 4 minutes: still before the cap when no quiet moment comes.
  sessionRotateGraceMs: 4 * 60_000,
  greeting: '',
  toolTimeoutMs: 10_000,
  // Azure preview sent 74 KB deltas and beta items can carry MBs of audio: be generous.
  maxMessageBytes: 16 * 1024 * 1024,
  headers: {},
  tlsCaFile: '',
  tlsCertFile: '',
  tlsKeyFile: '',
  tlsInsecure: false,
  perMessageDeflate: false,
};
