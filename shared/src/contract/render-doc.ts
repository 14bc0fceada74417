import { AUDIO_FRAME_LAYOUT, encodeAudioFrame } from '../audio/frame-codec.js';
import { ANYONE_PUBLISHES, EVERY_SERVICE_PUBLISHES, PRIVATE_AUDIO, SERVICE_PUBLISHES, USER_COMMANDS } from './access.js';
import { CONTRACT, CONTRACT_VERSION, DEFAULT_BASE_TOPIC, KNOWN_SERVICES, TOPIC_KEYS } from './contract.js';
import { CHECKED_DUTIES, type Duty, OTHER_DUTIES } from './duties.js';
import { settingsSection } from './render-settings.js';
import type { AudioFormatRule, TopicSpec } from './topic-spec.js';

function formatRule(rule: AudioFormatRule): string {
  const parts = [
    rule.sampleRateHz !== undefined ? `${rule.sampleRateHz} Hz` : 'any rate',
    rule.channels !== undefined ? `${rule.channels} channel${rule.channels > 1 ? 's' : ''}` : 'any channel count',
    rule.sampleFormat ?? 'any sample format',
    `item tag ${rule.itemTag}`,
  ];
  return parts.join(', ');
}

function hexDump(bytes: Buffer): string {
  const lines: string[] = [];
  for (let at = 0; at < bytes.length; at += 16) {
    const row = [...bytes.subarray(at, at + 16)].map((b) => b.toString(16).padStart(2, '0')).join(' ');
    lines.push(`${at.toString().padStart(4, '0')}  ${row}`);
  }
  return lines.join('\n');
}

function topicRow(key: string, spec: TopicSpec): string {
  const delivery = spec.kind === 'json' ? `QoS ${spec.qos}${spec.retained ? ', retained' : ''}` : 'QoS 0';
  const payload = spec.kind === 'json' ? 'JSON' : 'audio frame';
  return `| \`${DEFAULT_BASE_TOPIC}/${spec.path}\` | \`${key}\` | ${payload} | ${delivery} | ${spec.publishedBy} | ${spec.consumedBy} |`;
}

const keyList = (keys: readonly string[]): string => (keys.length === 0 ? 'nothing more' : keys.map((key) => `\`${key}\``).join(', '));

/** Who may publish what when the broker enforces access rules (shared/src/contract/access.ts). */
function accessSection(): string[] {
  return [
    '## Access rules',
    '',
    'With a users file (`broker.usersFile`, made by `voxbus-credentials`), the project\'s broker lets each login do what its',
    'role allows and cuts off a client that publishes anything else (a refused subscription is granted `0x80`). A client id',
    'must be the login name or start with it and a dash (`dsp-1a2b3c4d`). `$SYS` is for admins only, with or without rules.',
    '',
    '| role | may publish | receives |',
    '|---|---|---|',
    `| \`service\` (login = service name) | its own ${keyList(EVERY_SERVICE_PUBLISHES)} (\`{service}\` = its name), ${keyList(ANYONE_PUBLISHES)}, and what its name allows below | everything but \`$SYS\` |`,
    `| \`monitor\` | ${keyList(ANYONE_PUBLISHES)} | everything but ${keyList(PRIVATE_AUDIO)}, unless granted \`hearAudio\` |`,
    `| \`controller\` | what a monitor may, and ${keyList(USER_COMMANDS)} | as a monitor |`,
    '| `admin` | anything | anything, `$SYS` included |',
    '',
    '| service | may publish, besides its own topics |',
    '|---|---|',
    ...Object.entries(SERVICE_PUBLISHES).map(([service, keys]) => `| \`${service}\` | ${keyList(keys)} |`),
    '',
  ];
}

const dutyLine = (duty: Duty): string => `- ${duty.rule ? `**\`${duty.rule}\`** ` : ''}${duty.text}`;

/** Per service: what it must do beyond the topics (shared/src/contract/duties.ts, which the conformance kit checks). */
function dutiesSection(): string[] {
  return [
    '## What each service must do',
    '',
    'A replacement keeps its service\'s name and does what that service does here. `voxbus conformance <service>` drives a',
    'running service through these duties over the bus and prints a PASS or FAIL line per rule with what it saw; the',
    `bold names are its rules. It checks ${Object.keys(CHECKED_DUTIES).join(', ')}; the duties in the sections "beyond`,
    'what the kit checks" are stated, not yet checked. Run the candidate alone on the bus, or under a base topic of its',
    'own (`--base-topic`): the kit stands in for the services it talks to (their states retained, as theirs are, and',
    'cleared when it ends). `--kill` adds the Last Will: at the end the kit kills the service (SIGKILL, the pid of its',
    'status), so it must run where the service runs, under something that restarts it.',
    '',
    ...Object.entries(CHECKED_DUTIES).flatMap(([service, duties]) => [`### ${service} (checked by \`voxbus conformance ${service}\`)`, '', ...duties.map(dutyLine), '']),
    ...Object.entries(OTHER_DUTIES).flatMap(([service, duties]) => [
      service in CHECKED_DUTIES ? `### ${service}, beyond what the kit checks` : `### ${service}`,
      '',
      ...duties.map(dutyLine),
      '',
    ]),
  ];
}

/** Renders docs/contract.md from the contract map; a test fails when the file is stale. */
export function renderContractDoc(): string {
  const out: string[] = [];
  const push = (...lines: string[]) => out.push(...lines);
  push(
    '# The voxbus topic contract',
    '',
    '<!-- Generated from shared/src/contract by `npm run contract:doc`. Do not edit by hand: a test fails when this file is stale. -->',
    '',
    `Contract version ${CONTRACT_VERSION}. Everything a service needs to take part in voxbus, in any language: the topics, their`,
    'payloads (JSON Schema 2020-12 compatible, closed objects), the binary audio frame, and the conventions every service',
    'follows. The broker speaks MQTT 3.1.1 (no MQTT 5 properties), so all metadata is in the payload. The same contract,',
    'for a program (topics, QoS, retain, publishers and consumers, JSON Schemas, the frame layout, access rules, settings):',
    '`docs/contract.json`, generated from the same source.',
    '',
    'Version 2 changed from 1 what a consumer may meet: `heapUsedBytes` and `eventLoopDelayP99Ms` in metrics may be',
    '`null` (a service without a garbage-collected heap or an event loop); a speaker\'s or microphone\'s `granted.sampleFormat`',
    'may be `s32le` or `f32le`; `describe`\'s `config` is an object of sections. It added what each service must do, the',
    'settings every service honours and `docs/contract.json`.',
    '',
    'Version 3 changed from 2: `realtime-gateway/event/raw/<type>` no longer carries the realtime protocol\'s lifecycle events',
    '(items and content parts added and done, the input buffer committed, rate limits) unless the gateway\'s `rawSkipped`',
    'setting is `[]`; `dsp/event/levels` comes about five times a second with sound and once a second in silence, its dB',
    'to a tenth; `playback/event/item` positions at most five times a second. It added Home Assistant\'s bridge, the',
    'recorder and their topics.',
    '',
    '## Conventions',
    '',
    `- **Base topic.** Every topic starts with the base topic, \`${DEFAULT_BASE_TOPIC}\` by default (configurable, for example`,
    `  \`${DEFAULT_BASE_TOPIC}/kitchen\` when several boards share one broker). Below it, roles are in the path:`,
    '  `<service>/status`, `<service>/state`, `<service>/event/<name>`, `<service>/cmd/<name>`, `<service>/req/<name>` →',
    '  `<service>/res/<name>`, `<service>/metrics`, and `audio/<stream>` for audio by role (not by producer).',
    '- **Placeholders.** `{service}` and other `{name}` levels stand for exactly one topic level. Service names are',
    `  lower-case: ${KNOWN_SERVICES.map((name) => `\`${name}\``).join(', ')}. A replacement service keeps the name of the one it replaces.`,
    '- **JSON payloads** are UTF-8 JSON objects that validate against the schema of their topic. Objects are closed: an',
    '  unknown field is an error. Numbers carry their unit in their name (`uptimeMs`, `sampleRateHz`).',
    '- **Validation at both ends.** Publishers refuse to send what does not validate; receivers drop what does not, count',
    '  it under `bus.invalidReceived` in their metrics, and log it with its topic. Nothing crashes on bad input.',
    '- **Size.** A payload larger than 256 KiB (the default `bus.maxPayloadBytes`) is refused by the broker, which',
    '  disconnects the sender, and dropped by receivers. With Mosquitto that is `max_packet_size` (the limit plus 1 KiB',
    '  for the topic and headers, as `deploy/mosquitto/voxbus.conf` sets it); `message_size_limit` would acknowledge',
    '  a larger publish and drop it silently.',
    '- **The broker\'s own topics.** `broker/status` and `broker/metrics` come from the project\'s broker only; under',
    '  another broker they are absent (its state is unknown, not offline), and no service depends on them.',
    '- **Status and Last Will.** On every (re)connect a service sets its MQTT Last Will to its `status` topic with',
    '  `{"status":"offline","reason":"connection_lost",…}` (QoS 1, retained), then publishes `{"status":"online",',
    '  "reason":"running",…}` retained. A clean stop publishes `{"status":"offline","reason":"stopped",…}` before',
    '  disconnecting. After a reconnect, a service re-publishes every retained message it owns (a restarted broker may',
    '  have lost them). A service running inside the project\'s broker process (the broker\'s own status; every service',
    '  in all-in-one mode) reaches it without a connection, so it has no Last Will: if that process dies, the broker',
    '  dies with it, and every client outside sees its own connection drop.',
    '- **Commands are never retained.** A command or request (`…/cmd/…`, `…/req/…`) published with the retain flag is',
    '  delivered but not kept: the project\'s broker clears the flag and counts it (`publishes.retainCleared`), so a',
    '  restarted service is not told again what someone once asked. With another broker, publish them unretained.',
    '  The project\'s broker keeps retained only the topics marked retained below (statuses and states, under any base',
    '  topic; at most `broker.maxRetainedTopics`): anything else published retained is delivered and not kept.',
    '- **A retained copy can be older than live news.** A broker sends a new subscription\'s retained messages while',
    '  live ones already flow to it, so the retained copy of a state can arrive after a newer live change of the same',
    '  topic. Keep the newer: a message with the retain flag that arrives after a live one on its topic is older news',
    '  (the project\'s bus drops it; after a reconnect the retained copies are the newest again).',
    '- **Requests.** A request on `<service>/req/<name>` carries a `requestId` chosen by the requester; the answer on',
    '  `<service>/res/<name>` echoes it with `{"ok":true,"data":…}` or `{"ok":false,"error":{"code","message"}}`.',
    '- **Secrets** (API keys, passwords) never appear on the bus; configuration shown by `describe` has them replaced by',
    '  `"***"`.',
    '- **Audio** travels as binary frames (below): raw PCM, never base64, never a WAV header, QoS 0, never retained,',
    '  fixed duration per stream (20 ms by default, always a multiple of 10 ms), except that the last frame of an',
    '  `audio/output` item may be shorter.',
    '',
    ...accessSection(),
    '## Topics',
    '',
    '| topic | key | payload | delivery | published by | consumed by |',
    '|---|---|---|---|---|---|',
    ...TOPIC_KEYS.map((key) => topicRow(key, CONTRACT[key])),
    '',
  );
  for (const key of TOPIC_KEYS) {
    const spec: TopicSpec = CONTRACT[key];
    push(`### \`${DEFAULT_BASE_TOPIC}/${spec.path}\``, '', spec.summary, '');
    if (spec.kind === 'json') {
      push(
        `Key \`${key}\`; JSON; QoS ${spec.qos}; ${spec.retained ? 'retained' : 'not retained'}. Schema:`,
        '',
        '```json',
        JSON.stringify(spec.schema, null, 2),
        '```',
        '',
      );
    } else {
      push(`Key \`${key}\`; audio frame; QoS 0; not retained. Frames on this topic: ${formatRule(spec.format)}.`, '');
    }
  }
  push(
    '## The audio frame',
    '',
    'A frame is one MQTT payload: a header, then interleaved little-endian PCM. All integers are little-endian. A reader',
    'checks the magic and version, takes the PCM from `headerBytes` on, and rejects a frame whose PCM length differs from',
    '`frameCount × channels × bytes per sample` (2 for s16le, 4 for s32le and f32le). f32le samples must be finite',
    '(a NaN or an infinity would poison every filter after it): a frame carrying one is rejected whole; full scale is',
    '±1.0, and values beyond it are clipped by whoever plays or processes them.',
    '',
    '| offset | bytes | type | field | meaning |',
    '|---|---|---|---|---|',
    ...AUDIO_FRAME_LAYOUT.map((f) => `| ${f.offset} | ${f.bytes} | ${f.type} | \`${f.name}\` | ${f.meaning} |`),
    '',
    'Timestamps: `captureTimeUs` is `CLOCK_MONOTONIC` in microseconds (`clock_gettime(CLOCK_MONOTONIC)`, Node\'s',
    '`process.hrtime`), one clock for every process and container on the host, so the dsp can align the microphone',
    'with what the speaker played and anyone can measure latency across services. What the time marks depends on the',
    'stream: on `audio/mic` and `audio/input`, when the first sample was captured; on `audio/played`, when the first',
    'sample is heard from the speaker; on `audio/output`, when the gateway sent the frame (the audio is heard later).',
    '',
    'Example: 2 samples of 24 kHz mono s16le (`1000`, `-1000`), sequence 7, captured at 5 000 000 µs:',
    '',
    '```',
    hexDump(encodeAudioFrame({ sampleRateHz: 24_000, channels: 1, sampleFormat: 's16le', sequence: 7, captureTimeUs: 5_000_000, pcm: new Uint8Array(new Int16Array([1000, -1000]).buffer) })),
    '```',
    '',
    'The same with an item tag (response `resp_1`, item `item_2`, sample offset 480), as on `audio/output`:',
    '',
    '```',
    hexDump(encodeAudioFrame({ sampleRateHz: 24_000, channels: 1, sampleFormat: 's16le', sequence: 7, captureTimeUs: 5_000_000, item: { responseId: 'resp_1', itemId: 'item_2', sampleOffset: 480 }, pcm: new Uint8Array(new Int16Array([1000, -1000]).buffer) })),
    '```',
    '',
    ...settingsSection(),
    ...dutiesSection(),
    '## Writing a service in another language',
    '',
    '1. Connect to the broker with MQTT 3.1.1, a unique client id, clean session, TCP_NODELAY on the socket, and the Last',
    '   Will described above on `<base>/<service>/status`.',
    '2. On every connect: subscribe, publish `online` (retained), and re-publish the retained messages you own.',
    '3. Validate what you receive against the schemas here; drop, count and log what does not validate.',
    '4. Answer `<base>/<service>/req/describe`, publish `<base>/<service>/metrics` periodically, and publish `offline`',
    '   with reason `stopped` before a clean exit.',
    '5. Run it in the project\'s place (`npm start -- --replace playback=\'<command line>\'`, or the compose and systemd',
    '   slots in the README) and check it with `voxbus conformance <service>`. `examples/playback-python/` is a whole',
    '   playback in Python that passes the kit.',
    '',
  );
  return out.join('\n');
}
