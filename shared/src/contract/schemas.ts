import { type TSchema, Type } from '@sinclair/typebox';
import { StringEnum } from './validate.js';

/**
 * Payload schemas shared by every service. Every object is closed
 * (`additionalProperties: false`): a misspelt field is an error, not a silent no-op.
 */
const closed = { additionalProperties: false } as const;

export const ServiceName = Type.String({
  pattern: '^[a-z][a-z0-9-]{0,31}$',
  description: 'lower-case service name, one topic level',
});

export const ServiceStatus = Type.Object(
  {
    status: StringEnum(['online', 'offline']),
    reason: StringEnum(['running', 'stopped', 'connection_lost'], {
      description: '`running` while online; `stopped` after a clean stop; `connection_lost` when the MQTT Last Will fired (crash, kill, network)',
    }),
    service: ServiceName,
    version: Type.String({ description: 'the service build version' }),
    startedAt: Type.String({ description: 'ISO 8601 wall-clock time the process started' }),
    pid: Type.Integer({ minimum: 1 }),
    host: Type.String({ description: 'host name of the machine or container the process runs on' }),
  },
  { ...closed, description: 'Liveness of one service process' },
);

const CounterMap = Type.Record(Type.String(), Type.Integer({ minimum: 0 }), {
  description: 'counter name → count since the process started',
});

export const BusCounters = Type.Object(
  {
    connected: Type.Boolean(),
    reconnects: Type.Integer({ minimum: 0 }),
    published: Type.Integer({ minimum: 0, description: 'messages accepted for sending (sent, or queued while disconnected)' }),
    received: Type.Integer({ minimum: 0, description: 'messages received on subscribed topics' }),
    invalidReceived: Type.Record(Type.String(), Type.Integer({ minimum: 0 }), {
      description: 'topic key → received messages that failed validation and were dropped',
    }),
    refusedPublishes: Type.Record(Type.String(), Type.Integer({ minimum: 0 }), {
      description: 'topic key → publishes refused because the payload broke the contract',
    }),
    droppedOutgoing: Type.Record(Type.String(), Type.Integer({ minimum: 0 }), {
      description: 'topic key → messages dropped before sending (offline queue full, socket backed up)',
    }),
    droppedIncoming: Type.Record(Type.String(), Type.Integer({ minimum: 0 }), {
      description: '`owner topic-key` → received messages dropped because the handler queue was full',
    }),
    handlerErrors: Type.Record(Type.String(), Type.Integer({ minimum: 0 }), {
      description: '`owner topic-key` → handler calls that threw',
    }),
    queueDepthMax: Type.Integer({ minimum: 0, description: 'deepest handler queue seen since start' }),
  },
  closed,
);

export const ServiceMetrics = Type.Object(
  {
    service: ServiceName,
    atMs: Type.Number({ description: 'wall-clock time of the sample, ms since the Unix epoch' }),
    uptimeMs: Type.Number({ minimum: 0 }),
    process: Type.Object(
      {
        rssBytes: Type.Integer({ minimum: 0 }),
        pssBytes: Type.Union([Type.Integer({ minimum: 0 }), Type.Null()], {
          description: 'proportional set size from /proc/self/smaps_rollup (null where unavailable): the honest memory figure when several Node processes share pages',
        }),
        heapUsedBytes: Type.Integer({ minimum: 0 }),
        cpuUserUs: Type.Integer({ minimum: 0 }),
        cpuSystemUs: Type.Integer({ minimum: 0 }),
        eventLoopDelayP99Ms: Type.Number({ minimum: 0, description: 'since the previous sample' }),
      },
      closed,
    ),
    bus: BusCounters,
    counters: CounterMap,
  },
  { ...closed, description: 'Periodic health and counters of one service' },
);

export const RequestId = Type.String({ minLength: 1, maxLength: 128, description: 'chosen by the requester, echoed in the response' });

export const ErrorInfo = Type.Object(
  {
    code: Type.String({ description: 'stable, machine-readable' }),
    message: Type.String({ description: 'for people' }),
  },
  closed,
);

/** `{requestId, ok: true, data}` or `{requestId, ok: false, error}`. */
export function ResponseEnvelope<T extends TSchema>(data: T, description: string) {
  return Type.Union(
    [
      Type.Object({ requestId: RequestId, ok: Type.Literal(true), data }, closed),
      Type.Object({ requestId: RequestId, ok: Type.Literal(false), error: ErrorInfo }, closed),
    ],
    { description },
  );
}

export const DescribeRequest = Type.Object({ requestId: RequestId }, { ...closed, description: 'Ask a service who it is' });

export const DescribeResponse = ResponseEnvelope(
  Type.Object(
    {
      service: ServiceName,
      version: Type.String(),
      startedAt: Type.String(),
      configVersion: Type.Integer(),
      config: Type.Unknown({ description: 'the effective configuration, secrets replaced by "***"' }),
    },
    closed,
  ),
  'Who the service is and how it is configured',
);

export const SimFaultCommand = Type.Object(
  {
    kind: StringEnum(['drop', 'expire', 'error', 'stall'], {
      description: '`drop`: cut every socket without a close frame; `expire`: the 60-minute-cap error and close 1001 now; `error`: a server_error event; `stall`: read and send nothing for `durationMs`',
    }),
    durationMs: Type.Optional(Type.Integer({ minimum: 1, maximum: 600_000, description: 'for `stall`' })),
  },
  { additionalProperties: false, description: 'Make the realtime simulator misbehave, for tests' },
);
