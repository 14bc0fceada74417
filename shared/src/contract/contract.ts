import { DescribeRequest, DescribeResponse, ServiceMetrics, ServiceStatus, SimFaultCommand } from './schemas.js';
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
