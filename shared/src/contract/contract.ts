import {
  DescribeRequest,
  DescribeResponse,
  EmptyCommand,
  GatewayState,
  RawClientCommand,
  RawServerEvent,
  RealtimeErrorEvent,
  ResponseEvent,
  ServiceMetrics,
  ServiceStatus,
  SessionPatchCommand,
  SimFaultCommand,
  TextCommand,
  ToolCallRequest,
  ToolCallResponse,
  TranscriptEvent,
  TruncateCommand,
  VadEvent,
} from './schemas.js';
import { audioTopic, jsonTopic, type TopicSpec } from './topic-spec.js';

/** Version of the topic contract; bumped on any change that breaks an existing consumer. */
export const CONTRACT_VERSION = 1;

/** Default base topic; `voxbus/<device>` lets several boards share one broker. */
export const DEFAULT_BASE_TOPIC = 'voxbus';

/** Every service name the project knows (a replacement keeps the name of what it replaces). */
export const KNOWN_SERVICES = [
  'broker',
  'audio-capture',
  'dsp',
  'realtime-gateway',
  'realtime-sim',
  'playback',
  'conversation-state',
  'lcd',
] as const;

/** The model's audio format: 24 kHz mono s16le. */
const MODEL_AUDIO = { sampleRateHz: 24_000, channels: 1, sampleFormat: 's16le' } as const;

/**
 * The topic contract: every topic a voxbus service may publish or subscribe to, with its
 * payload schema. The bus client refuses to publish anything that does not validate against
 * this map and drops (and counts) anything received that does not. `docs/contract.md` is
 * generated from it.
 */
export const CONTRACT = {
  'service.status': jsonTopic({
    path: '{service}/status',
    schema: ServiceStatus,
    retained: true,
    qos: 1,
    summary:
      'Retained liveness. `online` on every (re)connect; the MQTT Last Will sets `offline` with reason `connection_lost`; a clean stop publishes `offline` with reason `stopped`.',
    publishedBy: 'every service (about itself)',
    consumedBy: 'health checks, lcd, monitors',
  }),
  'service.metrics': jsonTopic({
    path: '{service}/metrics',
    schema: ServiceMetrics,
    retained: false,
    qos: 0,
    summary: 'Periodic health: memory (RSS and PSS), CPU, event-loop delay, bus counters, service counters.',
    publishedBy: 'every service (about itself), every `metricsIntervalMs`',
    consumedBy: 'monitors',
  }),
  'service.describe.req': jsonTopic({
    path: '{service}/req/describe',
    schema: DescribeRequest,
    retained: false,
    qos: 1,
    summary: 'Ask a service for its version and effective configuration.',
    publishedBy: 'anyone',
    consumedBy: 'every service',
  }),
  'service.describe.res': jsonTopic({
    path: '{service}/res/describe',
    schema: DescribeResponse,
    retained: false,
    qos: 1,
    summary: 'Answer to `describe`, with the request id echoed; secrets are replaced by `"***"`.',
    publishedBy: 'every service',
    consumedBy: 'whoever asked',
  }),
  'realtime-sim.cmd.fault': jsonTopic({
    path: 'realtime-sim/cmd/fault',
    schema: SimFaultCommand,
    retained: false,
    qos: 1,
    summary: 'Fault injection: the simulator misbehaves as the real service can (every open session).',
    publishedBy: 'tests, people',
    consumedBy: 'realtime-sim',
  }),
  'gateway.state': jsonTopic({
    path: 'realtime-gateway/state',
    schema: GatewayState,
    retained: true,
    qos: 1,
    summary: 'The link to the realtime model: connecting, connected, reconnecting, error, stopped.',
    publishedBy: 'realtime-gateway',
    consumedBy: 'conversation-state, lcd, monitors',
  }),
  'gateway.event.transcript': jsonTopic({
    path: 'realtime-gateway/event/transcript',
    schema: TranscriptEvent,
    retained: false,
    qos: 1,
    summary: 'User and assistant transcripts, as deltas and finals.',
    publishedBy: 'realtime-gateway',
    consumedBy: 'lcd, monitors',
  }),
  'gateway.event.vad': jsonTopic({
    path: 'realtime-gateway/event/vad',
    schema: VadEvent,
    retained: false,
    qos: 1,
    summary: 'Server VAD: speech started / stopped, on the input-audio clock.',
    publishedBy: 'realtime-gateway',
    consumedBy: 'conversation-state',
  }),
  'gateway.event.response': jsonTopic({
    path: 'realtime-gateway/event/response',
    schema: ResponseEvent,
    retained: false,
    qos: 1,
    summary: 'Response lifecycle: created, first audio, done (with status and reason).',
    publishedBy: 'realtime-gateway',
    consumedBy: 'conversation-state, monitors',
  }),
  'gateway.event.error': jsonTopic({
    path: 'realtime-gateway/event/error',
    schema: RealtimeErrorEvent,
    retained: false,
    qos: 1,
    summary: 'An error event from the realtime service.',
    publishedBy: 'realtime-gateway',
    consumedBy: 'conversation-state, monitors',
  }),
  'gateway.event.raw': jsonTopic({
    path: 'realtime-gateway/event/raw/{type}',
    schema: RawServerEvent,
    retained: false,
    qos: 0,
    summary: 'Every other server event, on a topic of its own type, with audio stripped.',
    publishedBy: 'realtime-gateway',
    consumedBy: 'monitors, debugging',
  }),
  'gateway.cmd.cancel': jsonTopic({
    path: 'realtime-gateway/cmd/cancel',
    schema: EmptyCommand,
    retained: false,
    qos: 1,
    summary: 'Cancel the running response (response.cancel).',
    publishedBy: 'conversation-state',
    consumedBy: 'realtime-gateway',
  }),
  'gateway.cmd.truncate': jsonTopic({
    path: 'realtime-gateway/cmd/truncate',
    schema: TruncateCommand,
    retained: false,
    qos: 1,
    summary: 'Truncate an assistant item to the audio actually heard (conversation.item.truncate).',
    publishedBy: 'conversation-state',
    consumedBy: 'realtime-gateway',
  }),
  'gateway.cmd.say': jsonTopic({
    path: 'realtime-gateway/cmd/say',
    schema: TextCommand,
    retained: false,
    qos: 1,
    summary: 'Send text as the user and ask for a spoken answer.',
    publishedBy: 'anyone',
    consumedBy: 'realtime-gateway',
  }),
  'gateway.cmd.system': jsonTopic({
    path: 'realtime-gateway/cmd/system',
    schema: TextCommand,
    retained: false,
    qos: 1,
    summary: 'Inject a system message into the conversation (no response is asked for).',
    publishedBy: 'anyone',
    consumedBy: 'realtime-gateway',
  }),
  'gateway.cmd.raw': jsonTopic({
    path: 'realtime-gateway/cmd/raw',
    schema: RawClientCommand,
    retained: false,
    qos: 1,
    summary: 'Send a raw client event, validated against the official schema of the dialect first.',
    publishedBy: 'anyone',
    consumedBy: 'realtime-gateway',
  }),
  'gateway.cmd.clear-input': jsonTopic({
    path: 'realtime-gateway/cmd/clear-input',
    schema: EmptyCommand,
    retained: false,
    qos: 1,
    summary: 'Drop the uncommitted input audio (input_audio_buffer.clear).',
    publishedBy: 'conversation-state',
    consumedBy: 'realtime-gateway',
  }),
  'gateway.cmd.commit': jsonTopic({
    path: 'realtime-gateway/cmd/commit',
    schema: EmptyCommand,
    retained: false,
    qos: 1,
    summary: 'Push-to-talk release: commit the input audio and ask for a response.',
    publishedBy: 'conversation-state',
    consumedBy: 'realtime-gateway',
  }),
  'gateway.cmd.update-session': jsonTopic({
    path: 'realtime-gateway/cmd/update-session',
    schema: SessionPatchCommand,
    retained: false,
    qos: 1,
    summary: 'Change the session (merged into the configured one and re-applied after reconnects).',
    publishedBy: 'conversation-state, people',
    consumedBy: 'realtime-gateway',
  }),
  'gateway.cmd.reconnect': jsonTopic({
    path: 'realtime-gateway/cmd/reconnect',
    schema: EmptyCommand,
    retained: false,
    qos: 1,
    summary: 'Drop the link and connect again (also leaves the `error` state).',
    publishedBy: 'conversation-state, people',
    consumedBy: 'realtime-gateway',
  }),
  'tools.req': jsonTopic({
    path: 'tools/req/{name}',
    schema: ToolCallRequest,
    retained: false,
    qos: 1,
    summary: 'The model calls the tool `{name}`; `requestId` is the call id. Any service may answer.',
    publishedBy: 'realtime-gateway',
    consumedBy: 'whichever service implements the tool',
  }),
  'tools.res': jsonTopic({
    path: 'tools/res/{name}',
    schema: ToolCallResponse,
    retained: false,
    qos: 1,
    summary: 'The answer to a tool call; a call nobody answers in time gets an error result.',
    publishedBy: 'the service implementing the tool',
    consumedBy: 'realtime-gateway',
  }),
  'audio.mic': audioTopic({
    path: 'audio/mic',
    format: { itemTag: 'forbidden' },
    summary: 'Raw microphone capture in whatever format the device granted.',
    publishedBy: 'audio-capture',
    consumedBy: 'dsp',
  }),
  'audio.input': audioTopic({
    path: 'audio/input',
    format: { ...MODEL_AUDIO, itemTag: 'forbidden' },
    summary: 'Model-ready microphone audio (cleaned, 24 kHz mono s16le).',
    publishedBy: 'dsp',
    consumedBy: 'realtime-gateway',
  }),
  'audio.output': audioTopic({
    path: 'audio/output',
    format: { itemTag: 'required' },
    summary: 'Assistant audio as it arrives from the model, tagged with its response/item id and sample offset.',
    publishedBy: 'realtime-gateway',
    consumedBy: 'playback',
  }),
  'audio.played': audioTopic({
    path: 'audio/played',
    format: { itemTag: 'optional' },
    summary:
      'What actually went to the speaker (assistant audio, earcons or silence), timestamped when it is heard: the echo reference.',
    publishedBy: 'playback',
    consumedBy: 'dsp',
  }),
} as const satisfies Record<string, TopicSpec>;

export type Contract = typeof CONTRACT;
export type TopicKey = keyof Contract;
export const TOPIC_KEYS = Object.keys(CONTRACT) as TopicKey[];
