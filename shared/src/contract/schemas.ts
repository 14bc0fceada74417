// Over 350 lines on purpose: every payload schema of the contract, declarations only, grouped
// by the service that publishes them, so the wire format reads in one file. No logic lives here.
import { type TSchema, Type } from '@sinclair/typebox';
import { SAMPLE_FORMATS } from '../audio/sample-format.js';
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
  description:
    'name → a count since the process started, or a gauge\'s value now (`queue.frames`, `echo.erleDb`); dot-separated names, each service its own',
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
        heapUsedBytes: Type.Union([Type.Integer({ minimum: 0 }), Type.Null()], {
          description: 'the garbage-collected heap in use (V8\'s for the project\'s services; null for a runtime without one)',
        }),
        cpuUserUs: Type.Integer({ minimum: 0 }),
        cpuSystemUs: Type.Integer({ minimum: 0 }),
        eventLoopDelayP99Ms: Type.Union([Type.Number({ minimum: 0 }), Type.Null()], {
          description:
            'how late the event loop ran its callbacks, 99th percentile since the process was last sampled (probed every 50 ms: a shorter stall is seen in proportion to its length; null for a service without an event loop)',
        }),
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
      config: Type.Record(Type.String(), Type.Record(Type.String(), Type.Unknown()), {
        description:
          'the effective configuration, secrets replaced by "***": `common` (the settings every service honours, as in the Settings section) and the service\'s own section under its name',
      }),
    },
    closed,
  ),
  'Who the service is and how it is configured',
);

export const SimFaultCommand = Type.Object(
  {
    kind: StringEnum(['drop', 'expire', 'error', 'stall', 'fragmented', 'oversized', 'unknown-event', 'garbage'], {
      description:
        '`drop`: cut every socket without a close frame; `expire`: the 60-minute-cap error and close 1001 now; `error`: a server_error event; ' +
        '`stall`: read and send nothing for `durationMs`; `fragmented`: the next event in several WebSocket fragments; ' +
        '`oversized`: one text frame of `bytes`; `unknown-event`: an event type no schema knows; `garbage`: a text frame that is not JSON',
    }),
    durationMs: Type.Optional(Type.Integer({ minimum: 1, maximum: 600_000, description: 'for `stall`' })),
    bytes: Type.Optional(Type.Integer({ minimum: 1, maximum: 64 * 1024 * 1024, description: 'for `oversized`' })),
  },
  { additionalProperties: false, description: 'Make the realtime simulator misbehave, for tests' },
);

export const SimTimingEvent = Type.Object(
  {
    responseId: Type.String(),
    trigger: StringEnum(['server_vad', 'commit', 'request'], { description: 'what ended the turn: the sim\'s own VAD, a commit, or a response request' }),
    inputEndUs: Type.Number({ description: 'CLOCK_MONOTONIC µs when the sim had the input that ended the turn (the audio holding the end of speech, the commit, the request)' }),
    firstAudioUs: Type.Number({ description: 'CLOCK_MONOTONIC µs when it sent the first audio of the response' }),
  },
  { additionalProperties: false, description: "The simulator's own time over a response (its VAD's silence window, synthesis, the first delta)" },
);

// ---- realtime-gateway -------------------------------------------------------------------------

/** The realtime services the gateway speaks to; the gateway's provider table is keyed by these. */
export const REALTIME_PROVIDERS = ['openai', 'azure', 'azure-preview', 'voice-live', 'sim'] as const;
export type RealtimeProvider = (typeof REALTIME_PROVIDERS)[number];
/** The states of the gateway's link to the realtime service. */
export const LINK_STATES = ['connecting', 'connected', 'reconnecting', 'idle', 'error', 'stopped'] as const;
export type LinkState = (typeof LINK_STATES)[number];

export const GatewayState = Type.Object(
  {
    state: StringEnum([...LINK_STATES], {
      description:
        '`idle`: disconnected on request (the conversation ended) until a `reconnect` command; `error`: the gateway gave up (bad credentials, refused endpoint) until a `reconnect` command or a restart',
    }),
    provider: StringEnum([...REALTIME_PROVIDERS]),
    dialect: StringEnum(['ga', 'beta']),
    model: Type.String(),
    sessionId: Type.Union([Type.String(), Type.Null()], { description: 'the realtime session id once `session.created` arrived' }),
    reason: Type.Union([Type.String(), Type.Null()], { description: 'why the state is what it is (close code and reason, HTTP status, error code)' }),
    attempt: Type.Integer({ minimum: 0, description: 'reconnect attempts since the last good connection' }),
    sinceMs: Type.Number({ description: 'wall-clock time the state was entered, ms since the Unix epoch' }),
  },
  { additionalProperties: false, description: 'Retained: the link to the realtime model' },
);

export const TranscriptEvent = Type.Object(
  {
    role: StringEnum(['user', 'assistant']),
    kind: StringEnum(['delta', 'final']),
    itemId: Type.String(),
    responseId: Type.Union([Type.String(), Type.Null()]),
    text: Type.String({ description: 'the delta, or the whole transcript when `final`' }),
  },
  { additionalProperties: false, description: 'What the user said (input transcription) or the assistant is saying' },
);

export const VadEvent = Type.Object(
  {
    kind: StringEnum(['speech_started', 'speech_stopped']),
    itemId: Type.String(),
    audioMs: Type.Integer({ minimum: 0, description: 'position on the session input-audio clock (audio_start_ms / audio_end_ms)' }),
  },
  { additionalProperties: false, description: 'Server VAD: the user started or stopped speaking' },
);

export const ResponseEvent = Type.Object(
  {
    kind: StringEnum(['created', 'first_audio', 'done']),
    responseId: Type.String(),
    status: Type.Union([StringEnum(['in_progress', 'completed', 'cancelled', 'failed', 'incomplete']), Type.Null()]),
    reason: Type.Union([Type.String(), Type.Null()], { description: 'status_details.reason (turn_detected, client_cancelled, …)' }),
    audioMs: Type.Integer({ minimum: 0, description: 'assistant audio received for this response so far' }),
  },
  { additionalProperties: false, description: 'Response lifecycle' },
);

export const RealtimeErrorEvent = Type.Object(
  {
    type: Type.String(),
    code: Type.Union([Type.String(), Type.Null()]),
    message: Type.String(),
    param: Type.Union([Type.String(), Type.Null()]),
    fatal: Type.Boolean({ description: 'retrying cannot help (bad key, quota)' }),
  },
  { additionalProperties: false, description: 'An error from the realtime service' },
);

export const RawServerEvent = Type.Object(
  { type: Type.String({ minLength: 1 }) },
  { additionalProperties: true, description: 'A realtime server event as received, base64 audio fields replaced by their byte count' },
);

const Empty = Type.Object({}, { additionalProperties: false });

export const TruncateCommand = Type.Object(
  {
    itemId: Type.String({ minLength: 1 }),
    audioEndMs: Type.Integer({ minimum: 0, description: 'assistant audio actually heard; the gateway clamps it to what it received' }),
  },
  { additionalProperties: false, description: 'Truncate the assistant item to what was heard' },
);

export const TextCommand = Type.Object({ text: Type.String({ minLength: 1, maxLength: 16_000 }) }, { additionalProperties: false });

export const RawClientCommand = Type.Object(
  { event: Type.Object({ type: Type.String({ minLength: 1 }) }, { additionalProperties: true }) },
  { additionalProperties: false, description: 'A client event sent as is, after validation against the official schema of the dialect' },
);

export const SessionPatchCommand = Type.Object(
  { session: Type.Object({}, { additionalProperties: true, description: 'fields in the dialect of the endpoint, merged into the configured session' }) },
  { additionalProperties: false },
);

export const EmptyCommand = Empty;

/** How the realtime service is told to take turns. */
export const TURN_MODES = ['server', 'manual'] as const;

export const TurnDetectionCommand = Type.Object(
  {
    mode: StringEnum([...TURN_MODES], {
      description:
        '`server`: the service detects turns (the configured turn detection, or server VAD when none is configured) and answers each; `manual`: no turn detection, turns end by `commit` (local VAD, push-to-talk)',
    }),
    interruptResponse: Type.Boolean({
      description: '`server` only: whether the service itself cancels a response when speech starts (false when conversation-state decides barge-in)',
    }),
  },
  { additionalProperties: false, description: 'How turns are taken; kept across reconnects, in whichever dialect the endpoint speaks' },
);

export const ToolCallRequest = Type.Object(
  {
    requestId: RequestId,
    name: Type.String(),
    arguments: Type.String({ description: 'JSON text, as the model produced it' }),
  },
  { additionalProperties: false, description: 'The model calls a tool; any service may answer on tools/res/<name>' },
);

export const ToolCallResponse = ResponseEnvelope(
  Type.Object({ output: Type.String({ description: 'the result given back to the model (usually JSON text)' }) }, { additionalProperties: false }),
  'The answer to a tool call',
);

/** What an audio device granted (it may differ from what was asked for). */
export const AudioDeviceFormat = Type.Object(
  {
    device: Type.String({ description: 'the ALSA PCM name opened' }),
    sampleRateHz: Type.Integer({ minimum: 1000 }),
    channels: Type.Integer({ minimum: 1 }),
    sampleFormat: StringEnum([...SAMPLE_FORMATS], { description: "the device's sample format (the project's ALSA backend opens s16le; a replacement may report another)" }),
    periodFrames: Type.Integer({ minimum: 1 }),
    bufferFrames: Type.Integer({ minimum: 1 }),
  },
  closed,
);

export const AudioDeviceProblem = Type.Object(
  {
    code: StringEnum(['device_not_found', 'device_busy', 'permission_denied', 'unsupported_format', 'device_lost', 'device_error']),
    message: Type.String({ description: 'what was asked and what ALSA said, for a person' }),
  },
  closed,
);

const DeviceStateFields = {
  device: Type.String({ description: 'the configured ALSA PCM name' }),
  granted: Type.Union([AudioDeviceFormat, Type.Null()], { description: 'null until the device is open' }),
  error: Type.Union([AudioDeviceProblem, Type.Null()], { description: 'the last device error while in `error`' }),
  retryInMs: Type.Union([Type.Integer({ minimum: 0 }), Type.Null()], { description: 'in `error`: when the device is tried again' }),
  sinceMs: Type.Number({ description: 'wall-clock time the state was entered, ms since the Unix epoch' }),
};

export const CaptureState = Type.Object(
  {
    state: StringEnum(['opening', 'capturing', 'muted', 'error', 'stopped'], {
      description: '`muted`: the device stays open but no frames are published; `error`: the device failed and is retried with backoff',
    }),
    ...DeviceStateFields,
  },
  { ...closed, description: 'Retained: the microphone' },
);

export const PlaybackState = Type.Object(
  {
    state: StringEnum(['opening', 'idle', 'playing', 'error', 'stopped'], {
      description: '`idle`: the device is open and fed silence; `playing`: assistant audio or an earcon is coming out',
    }),
    ...DeviceStateFields,
    volume: Type.Number({ minimum: 0, maximum: 4, description: 'linear gain applied to everything played' }),
    muted: Type.Boolean({ description: 'muted: everything plays on at zero gain (positions and drains as usual)' }),
  },
  { ...closed, description: 'Retained: the speaker' },
);

/** An earcon's item id on `playback/event/item` is this and its name: `earcon:listening`. */
export const EARCON_ITEM_PREFIX = 'earcon:';

export function earconItemId(name: string): string {
  return `${EARCON_ITEM_PREFIX}${name}`;
}

/** The earcon's name when `itemId` is an earcon's, else undefined. */
export function earconName(itemId: string): string | undefined {
  return itemId.startsWith(EARCON_ITEM_PREFIX) ? itemId.slice(EARCON_ITEM_PREFIX.length) : undefined;
}

export const PlaybackItemEvent = Type.Object(
  {
    kind: StringEnum(['started', 'position', 'drained', 'flushed'], {
      description:
        '`started`: the item\'s first sample came out of the speaker; `position`: periodic while it plays; `drained`: everything received so far has been heard and nothing is queued (the speaker ran out of audio: with audio arriving slower than real time it may come mid-item, and `started` again when more comes; the reply is over at a `drained` after its response\'s `done`); `flushed`: a flush cut it (heardMs is final), sent for every item playing or queued at the flush (a queued one with heardMs 0)',
    }),
    itemId: Type.String({ description: `the realtime item id, or \`${EARCON_ITEM_PREFIX}<name>\`` }),
    responseId: Type.String({ description: 'the response the item belongs to (empty for an earcon)' }),
    heardMs: Type.Integer({
      minimum: 0,
      description:
        'ms of this item that came out of the speaker, over all of it (an item that ran dry and went on counts on), from its first frame that arrived: a gap in `sampleOffset` of up to 1 s is played as silence and counted, a longer one is skipped (so heardMs is then behind the item\'s offsets); samples written minus the device delay; for `flushed`, up to where the flush cut it, counting what was already in the device and the fade-out, which still play (conversation-state truncates the model\'s item there)',
    }),
    receivedMs: Type.Integer({ minimum: 0, description: 'ms of this item received so far' }),
    enteredDeviceUs: Type.Union([Type.Number(), Type.Null()], {
      description: "CLOCK_MONOTONIC µs when the item's first sample was written into the device (null until known)",
    }),
    timeUs: Type.Number({ description: 'CLOCK_MONOTONIC µs when this was measured' }),
  },
  { ...closed, description: 'Where the speaker is in an item: what the person actually heard' },
);

export const VolumeCommand = Type.Object(
  { volume: Type.Number({ minimum: 0, maximum: 4, description: 'linear gain: 1 plays as received, 0.5 is about -6 dB' }) },
  closed,
);

/** The short cues playback synthesises. */
export const EARCON_NAMES = ['listening', 'thinking', 'error'] as const;
export type EarconName = (typeof EARCON_NAMES)[number];
export const EarconCommand = Type.Object({ name: StringEnum([...EARCON_NAMES]) }, closed);

/** The longest a pause may hold the speaker: a barge-in decides well within it. */
export const PAUSE_MAX_MS = 5000;
export const PauseCommand = Type.Object(
  {
    forMs: Type.Integer({
      minimum: 1,
      maximum: PAUSE_MAX_MS,
      description: 'playback resumes by itself after this long unless resumed or flushed before: a sender that dies mid-pause must not leave the speaker silent',
    }),
  },
  closed,
);

/** A level in dBFS: 0 is full scale; silence is floored at -120. */
const Dbfs = Type.Number({ minimum: -120, maximum: 0 });

export const DspState = Type.Object(
  {
    state: StringEnum(['waiting', 'running', 'stopped'], {
      description: '`waiting`: no microphone audio is arriving (none yet, or the microphone is muted); `running`: audio/input is being produced',
    }),
    engine: StringEnum(['webrtc', 'speex', 'fake'], { description: 'which voice-processing engine runs the echo canceller, noise suppression, gain and VAD' }),
    input: Type.Union(
      [
        Type.Object(
          { sampleRateHz: Type.Integer({ minimum: 1000 }), channels: Type.Integer({ minimum: 1 }), sampleFormat: StringEnum(['s16le', 's32le', 'f32le']) },
          closed,
        ),
        Type.Null(),
      ],
      { description: 'the format of the microphone frames being processed (null until the first)' },
    ),
    stages: Type.Object(
      {
        dcRemoval: Type.Boolean({ description: 'high-pass filter against DC offset and rumble' }),
        downmix: Type.String({ description: '`mix` (average of the channels) or `channel <n>` (one channel picked, from 0); only acts on multi-channel input' }),
        resample: Type.Boolean({ description: 'the input rate differs from 24 kHz and is being resampled' }),
        echoCancellation: Type.Boolean(),
        noiseSuppression: Type.Boolean(),
        gainControl: Type.Boolean(),
        vad: Type.Boolean(),
      },
      { ...closed, description: 'the stages switched on' },
    ),
    echo: Type.Object(
      {
        active: Type.Boolean({ description: 'echo cancellation is on and the echo reference (audio/played) is arriving' }),
        converged: Type.Boolean({
          description:
            'measured live on the microphone: the canceller removes at least `convergedErleDb` of the echo (erleDb), so a voice over the speaker can be told from it and the assistant can be interrupted by voice; lost again after 2 s more than 6 dB below',
        }),
        erleDb: Type.Union([Type.Number(), Type.Null()], {
          description: 'echo return loss enhancement, measured live: the median over echo-only audio of the microphone over what the canceller left, dB (null until a second of echo has been heard)',
        }),
        erlDb: Type.Union([Type.Number(), Type.Null()], { description: 'echo return loss (speaker to microphone), dB (null until measured)' }),
        delayMs: Type.Union([Type.Number(), Type.Null()], {
          description: 'how much later than its audio/played timestamp the speaker is heard by the microphone, found from the signals, ms (null until found)',
        }),
      },
      closed,
    ),
    muted: Type.Boolean({ description: 'audio/input is withheld (dsp/cmd/mute); the chain still runs' }),
    sinceMs: Type.Number({ description: 'wall-clock time of this state, ms since the Unix epoch' }),
  },
  { ...closed, description: 'Retained: what the dsp does to the microphone audio, and whether echo cancellation can be relied on' },
);

/**
 * `voice_onset`: a voice has begun (`vadOnsetMs` of it), not yet speech: a cough is one too. It
 * is said at most once per run of voice, before the run's `speech_started` if that comes; nothing
 * takes it back, so a consumer holds what it holds for a while and lets go if no start follows.
 */
export const LOCAL_VAD_KINDS = ['voice_onset', 'speech_started', 'speech_stopped'] as const;

export const LocalVadEvent = Type.Object(
  {
    kind: StringEnum([...LOCAL_VAD_KINDS], {
      description: '`voice_onset`: a voice began (it may still turn out a cough; a reply may be held on it, and let go unless speech_started follows); `speech_started`, `speech_stopped`: speech, with hysteresis',
    }),
    timeUs: Type.Number({ description: 'CLOCK_MONOTONIC µs, on the capture clock, where the voice or speech started, or stopped, in the audio' }),
    speechMs: Type.Integer({ minimum: 0, description: '`speech_stopped`: how long the speech lasted; `speech_started` and `voice_onset`: how much voice said it' }),
  },
  { ...closed, description: 'Local VAD, with hysteresis: speech must last `vadMinSpeechMs` to start and silence `vadMinSilenceMs` to stop; a voice is said as it begins (`vadOnsetMs`)' },
);

const Level = Type.Object({ rmsDbfs: Dbfs, peakDbfs: Dbfs }, closed);

export const AudioLevels = Type.Object(
  {
    input: Level,
    output: Level,
    voice: Type.Boolean({ description: 'the VAD heard voice in this interval' }),
    timeUs: Type.Number({ description: 'CLOCK_MONOTONIC µs of the end of the interval, on the capture clock' }),
  },
  { ...closed, description: 'Levels over the last interval (about 100 ms): the microphone (downmixed, before any processing) and audio/input' },
);

// ---- conversation-state -----------------------------------------------------------------------

export const CONVERSATION_STATES = ['offline', 'connecting', 'listening', 'userSpeaking', 'waiting', 'assistantSpeaking', 'reconnecting', 'paused', 'ended', 'error'] as const;
export type ConversationStateName = (typeof CONVERSATION_STATES)[number];
/** The conversation's modes in force (the configuration's `auto` resolves to one of the first two). */
export const CONVERSATION_MODES = ['half-duplex', 'full-duplex', 'push-to-talk'] as const;
export type ConversationMode = (typeof CONVERSATION_MODES)[number];
/** Who detects the user's speech. */
export const VAD_SOURCES = ['server', 'local', 'both'] as const;
/** How a turn ended. */
export const TURN_OUTCOMES = ['answered', 'interrupted', 'continued', 'no_response', 'failed', 'abandoned'] as const;
export type TurnOutcome = (typeof TURN_OUTCOMES)[number];

export const ConversationState = Type.Object(
  {
    state: StringEnum([...CONVERSATION_STATES], {
      description:
        '`listening`: the board waits for the person; `userSpeaking`: a turn is being spoken; `waiting`: the turn ended, the reply is coming; `assistantSpeaking`: the reply is playing; `ended`: the conversation ended (idle, a command, or the model) until `start`',
    }),
    phase: Type.String({ description: 'the step within the state (`chime`, `open`, `bargeIn`, `tail`, `releasing`…), for displays and debugging' }),
    mode: StringEnum([...CONVERSATION_MODES], { description: 'the mode in force (`auto` resolves to half or full duplex)' }),
    vad: StringEnum([...VAD_SOURCES]),
    micOpen: Type.Boolean({ description: 'whether the microphone is being listened to' }),
    muted: Type.Object({ user: Type.Boolean(), assistant: Type.Boolean() }, closed),
    echoConverged: Type.Boolean(),
    turn: Type.Integer({ minimum: 0, description: 'turns so far (kept across restarts)' }),
    lastError: Type.Union([Type.Object({ code: Type.String(), message: Type.String() }, closed), Type.Null()]),
    sinceMs: Type.Number({ description: 'wall-clock time of this state, ms since the Unix epoch' }),
  },
  { ...closed, description: 'Retained: where the conversation is; a display restarted at any time draws from it' },
);

const NullableMs = Type.Union([Type.Number({ minimum: 0 }), Type.Null()]);

export const TurnReport = Type.Object(
  {
    turn: Type.Integer({ minimum: 0 }),
    outcome: StringEnum([...TURN_OUTCOMES], {
      description:
        '`interrupted`: barge-in; `continued`: the person spoke on before the reply was heard, so it was cancelled; `no_response`: the model gave no audio in time; `abandoned`: a reply that could not be played (playback was lost mid-reply, or never started it: `lastError.code` `not_played`)',
    }),
    mode: StringEnum([...CONVERSATION_MODES]),
    vad: StringEnum([...VAD_SOURCES]),
    responseId: Type.Union([Type.String(), Type.Null()]),
    latencyMs: Type.Object(
      {
        speechStoppedToResponse: NullableMs,
        speechStoppedToFirstAudio: NullableMs,
        speechStoppedToHeard: NullableMs,
      },
      { ...closed, description: 'from the end of the speech (as the VAD that ends turns heard it, or the push-to-talk release), by arrival times on this host' },
    ),
    heardMs: NullableMs,
    receivedMs: NullableMs,
    bargeInMs: Type.Union([Type.Number({ minimum: 0 }), Type.Null()], { description: 'interrupted: from the speech that interrupted to the flush' }),
  },
  { ...closed, description: 'One turn, when it ends: how it ended and its latencies' },
);

export const MuteCommand = Type.Object(
  { target: StringEnum(['user', 'assistant', 'all'], { description: '`user`: the microphone; `assistant`: the speaker; `all`: both' }) },
  closed,
);

// ---- home-assistant ---------------------------------------------------------------------------

/** What a Home Assistant switch sends (its payload_on / payload_off): one topic for both ways, as a switch has. */
export const HomeAssistantMuteCommand = Type.Object({ muted: Type.Boolean() }, { ...closed, description: 'A mute switch turned on (true) or off' });

export const LastTranscript = Type.Object(
  {
    text: Type.String({ description: 'the whole final transcript' }),
    itemId: Type.String(),
    atMs: Type.Number({ description: 'wall-clock time it was final, ms since the Unix epoch' }),
  },
  { ...closed, description: 'Retained: the last final transcript of one side, for a sensor that shows it' },
);

// ---- recorder ---------------------------------------------------------------------------------

/** The audio streams a recording can tap, by the name people give them (`audio/<stream>`). */
export const RECORDABLE_STREAMS = ['mic', 'input', 'output', 'played'] as const;
export type RecordableStream = (typeof RECORDABLE_STREAMS)[number];

const RecordingName = Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$', description: 'the file is `<name>.wav` in the recorder\'s folder' });

export const RecordStartCommand = Type.Object(
  {
    stream: StringEnum([...RECORDABLE_STREAMS], { description: '`mic`: the microphone as captured; `input`: what the model hears; `output`: what the model said; `played`: what the speaker played' }),
    seconds: Type.Optional(Type.Number({ exclusiveMinimum: 0, maximum: 3600, description: 'stop after this long (default: until `stop`, or the size bound)' })),
    name: Type.Optional(RecordingName),
  },
  { ...closed, description: 'Record one audio stream to a WAV file on the board' },
);

export const RecordDeleteCommand = Type.Object({ name: RecordingName }, { ...closed, description: 'Delete a recording' });

const RecordingFile = Type.Object(
  {
    name: Type.String(),
    stream: StringEnum([...RECORDABLE_STREAMS]),
    bytes: Type.Integer({ minimum: 0, description: 'the WAV file\'s size' }),
    durationMs: Type.Integer({ minimum: 0 }),
    sampleRateHz: Type.Integer({ minimum: 1 }),
    channels: Type.Integer({ minimum: 1 }),
    missingFrames: Type.Integer({ minimum: 0, description: 'frames lost on the bus while it recorded (sequence gaps)' }),
    atMs: Type.Number({ description: 'when the recording started, ms since the Unix epoch' }),
  },
  closed,
);

export const RecorderState = Type.Object(
  {
    recording: Type.Union(
      [
        Type.Object(
          {
            name: Type.String(),
            stream: StringEnum([...RECORDABLE_STREAMS]),
            startedAtMs: Type.Number(),
            untilMs: Type.Union([Type.Number(), Type.Null()], { description: 'when it stops by itself (null: at `stop` or the size bound)' }),
            durationMs: Type.Integer({ minimum: 0, description: 'audio recorded so far' }),
          },
          closed,
        ),
        Type.Null(),
      ],
      { description: 'the recording under way, or null' },
    ),
    files: Type.Array(RecordingFile, { description: 'the recordings on the board, oldest first' }),
    usedBytes: Type.Integer({ minimum: 0 }),
    maxTotalBytes: Type.Integer({ minimum: 0, description: 'a recording is refused once the files take this much; each one stops at maxFileBytes' }),
    maxFileBytes: Type.Integer({ minimum: 0 }),
    lastError: Type.Union([Type.Object({ code: Type.String(), message: Type.String() }, closed), Type.Null()]),
  },
  { ...closed, description: 'Retained: what the recorder is recording and what it has' },
);

/** The telephony platforms the bridge speaks: FreeSWITCH's mod_audio_stream and Azure Communication Services' media streaming. */
export const TELEPHONY_PLATFORMS = ['freeswitch', 'acs'] as const;

export const TelephonyBridgeState = Type.Object(
  {
    state: StringEnum(['waiting', 'in-call', 'stopped'], {
      description: '`waiting`: listening for a call\'s media stream; `in-call`: a call\'s audio is the microphone and the speaker',
    }),
    call: Type.Union(
      [
        Type.Object(
          {
            platform: StringEnum([...TELEPHONY_PLATFORMS]),
            callId: Type.String({ description: 'the platform\'s id of the stream (ACS subscriptionId, or the bridge\'s own for FreeSWITCH)' }),
            sampleRateHz: Type.Union([Type.Integer({ minimum: 8000 }), Type.Null()], { description: 'the call\'s audio rate (null until an ACS stream says it)' }),
            sinceMs: Type.Number({ description: 'wall-clock time the call\'s stream connected, ms since the Unix epoch' }),
          },
          closed,
        ),
        Type.Null(),
      ],
      { description: 'the call up, or null' },
    ),
    calls: Type.Integer({ minimum: 0, description: 'calls taken since the bridge started' }),
    refused: Type.Integer({ minimum: 0, description: 'streams refused since the bridge started (a second call, an unknown path)' }),
    lastError: Type.Union([Type.Object({ code: Type.String(), message: Type.String(), atMs: Type.Number() }, closed), Type.Null()], {
      description: 'the last protocol error a call\'s stream made (malformed or out-of-order messages, a wrong format)',
    }),
    sinceMs: Type.Number({ description: 'wall-clock time the state was entered, ms since the Unix epoch' }),
  },
  { ...closed, description: 'Retained: the telephony bridge and the call it carries' },
);
