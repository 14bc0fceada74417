/**
 * What each service must do, beyond speaking the topics: what it consumes and produces, its
 * states, its timing. A duty with a `rule` is checked by `voxbus conformance <service>` under
 * that name (shared/src/conformance), and the contract doc prints the same sentences, so the
 * kit and the doc cannot say different things.
 */
export interface Duty {
  /** The kit's rule name, when the kit checks this duty. */
  readonly rule?: string;
  readonly text: string;
}

/** The duties every service has towards monitors and the kit, worded once. */
const statusOnline = (service: string): Duty => ({
  rule: 'status.online',
  text: `On connecting, publish \`${service}/status\` \`online\`/\`running\`, retained, with the Last Will set.`,
});
const describeAnswers = (service: string, also = ''): Duty => ({
  rule: 'describe.answers',
  text: `Answer \`${service}/req/describe\` on \`${service}/res/describe\` with the same \`requestId\`${also}.`,
});
const metricsPublished = (service: string): Duty => ({ rule: 'metrics.published', text: `Publish \`${service}/metrics\` every \`metricsIntervalMs\`.` });
const MESSAGES_VALID: Duty = { rule: 'messages.valid', text: 'Publish nothing that does not validate against its topic\'s schema.' };
/** The duty every service has towards a monitor: its Last Will. Judged last, since the kit kills the service to see it. */
const lastWill = (service: string): Duty => ({
  rule: 'status.last-will',
  text: `When its connection drops (a crash, a kill, a cut cable), the broker publishes its Last Will: \`${service}/status\` \`offline\`/\`connection_lost\`, retained (checked with \`--kill\`, which kills the service).`,
});

export const PLAYBACK_DUTIES: readonly Duty[] = [
  statusOnline('playback'),
  {
    rule: 'state.idle',
    text: 'Open the device and publish `playback/state` `idle` (retained) with the format granted; `error` with a code and `retryInMs` while it cannot, trying again.',
  },
  describeAnswers('playback'),
  {
    rule: 'played.continuous',
    text: 'While the device is open, publish on `audio/played` exactly what went to the speaker, silence included: every frame one more in sequence, its time the last one\'s plus its length (within 5 ms).',
  },
  { rule: 'play.started', text: 'Queue `audio/output` frames per item in arrival order and play them; say `started` (with the item\'s `responseId`) when its first sample comes out.' },
  { rule: 'play.positions', text: 'Say `position` about every 100 ms while an item plays, `heardMs` never going back.' },
  {
    rule: 'play.drained',
    text: 'Say `drained` when all received audio has been heard, with `heardMs` within 60 ms of the item\'s length and `receivedMs` equal to it.',
  },
  { rule: 'play.state', text: 'Be `playing` while assistant audio or an earcon comes out, `idle` again after `drained`.' },
  { rule: 'play.heard', text: 'Play at the level received (at volume 1): the reference carries the item, as long as it is, within 3 dB.' },
  {
    rule: 'flush.flushed',
    text: 'On `playback/cmd/flush`, say `flushed` for the item playing (`heardMs`: what was heard up to the cut, counting the device\'s buffer and the fade, which still play) and for every item queued (`heardMs` 0).',
  },
  { rule: 'flush.silent', text: 'Be silent within a period and a fade of the flush (the reference says so from 200 ms after it).' },
  { rule: 'flush.late-frames', text: 'Drop frames of a flushed item or response that arrive after the flush: no `started`, no sound.' },
  {
    rule: 'pause.holds',
    text: 'On `playback/cmd/pause`, be silent within a period and a fade, drop nothing, hold the positions; on `playback/cmd/resume`, or when `forMs` runs out, go on from the next sample (what was heard plus what remained is the whole item). A flush while paused ends the pause.',
  },
  {
    rule: 'earcon.plays',
    text: 'Play `playback/cmd/earcon` cues queued like items, with item id `earcon:<name>`, an empty `responseId`, and their documented length (listening: 160 ms).',
  },
  { rule: 'volume.applies', text: 'Apply `playback/cmd/volume` to everything played (0.5 is 6 dB down, ±2) and show it in the state.' },
  { rule: 'mute.applies', text: 'On `playback/cmd/mute`, play on at zero gain (items still start and drain), and show `muted` in the state until `unmute`.' },
  metricsPublished('playback'),
  MESSAGES_VALID,
  lastWill('playback'),
];

export const AUDIO_CAPTURE_DUTIES: readonly Duty[] = [
  statusOnline('audio-capture'),
  {
    rule: 'state.capturing',
    text: 'Open the microphone and publish `audio-capture/state` `capturing` (retained) with the format granted; `error` with a code and `retryInMs` while it cannot, retrying a lost device without being restarted.',
  },
  describeAnswers('audio-capture'),
  {
    rule: 'mic.continuous',
    text: 'Publish `audio/mic` continuously in the granted format, every frame the same length (a multiple of 10 ms, 20 by default), one more in sequence, its time the last one\'s plus its length (within 5 ms).',
  },
  { rule: 'mic.timestamps', text: 'Stamp each frame with when its first sample was captured, CLOCK_MONOTONIC µs (it reaches a subscriber within 500 ms of that).' },
  { rule: 'mute.stops', text: 'On `audio-capture/cmd/mute`, publish no frames and say `muted` until `unmute`; then `capturing` and frames again at once.' },
  metricsPublished('audio-capture'),
  MESSAGES_VALID,
  lastWill('audio-capture'),
];

export const DSP_DUTIES: readonly Duty[] = [
  statusOnline('dsp'),
  describeAnswers('dsp'),
  {
    rule: 'state.running',
    text: 'Take `audio/mic` in whatever format it comes (any rate, any channel count) and say `running` in `dsp/state` (retained) with that format; `waiting` while none arrives.',
  },
  {
    rule: 'input.continuous',
    text: 'Publish `audio/input` for it: 24 kHz mono s16le in 20 ms frames, one more in sequence each, their times contiguous (within 5 ms).',
  },
  { rule: 'input.timely', text: "Stamp each `audio/input` frame with its microphone audio's capture time, and publish it within 200 ms of that." },
  { rule: 'input.carries-sound', text: 'Shape the sound (echo cancellation, noise suppression, gain) but not lose it: a tone at −20 dBFS comes out above −60 dBFS.' },
  { rule: 'levels.published', text: 'Publish `dsp/event/levels` about five times a second while running and there is sound (in silence, at least once a second).' },
  { rule: 'mute.withholds', text: 'On `dsp/cmd/mute`, publish no `audio/input` and say `muted` until `unmute` (the chain runs on, so the canceller keeps learning).' },
  metricsPublished('dsp'),
  MESSAGES_VALID,
  lastWill('dsp'),
];

export const GATEWAY_DUTIES: readonly Duty[] = [
  statusOnline('realtime-gateway'),
  describeAnswers('realtime-gateway', ', the API key shown as `"***"`'),
  { rule: 'state.connected', text: 'Hold a realtime session and say `connected` in `realtime-gateway/state` (retained); reconnect with back-off when the link drops.' },
  {
    rule: 'say.answers',
    text: 'On `realtime-gateway/cmd/say`, have the model answer aloud: `response` events `created`, `first_audio`, then `done` with its status and `audioMs`, and the assistant\'s `final` transcript.',
  },
  {
    rule: 'output.tagged',
    text: 'Publish the model\'s audio on `audio/output` as 24 kHz mono s16le frames tagged with the response, the item and the sample offset (each frame starting where the last ended), as much as `done` says.',
  },
  { rule: 'truncate.applies', text: 'On `realtime-gateway/cmd/truncate`, truncate the model\'s item to `audioEndMs` (`conversation.item.truncated` follows on `event/raw`).' },
  { rule: 'cancel.stops', text: 'On `realtime-gateway/cmd/cancel`, cancel the response: `done` says `cancelled`, and no more of its audio follows.' },
  metricsPublished('realtime-gateway'),
  MESSAGES_VALID,
  lastWill('realtime-gateway'),
];

export const CONVERSATION_DUTIES: readonly Duty[] = [
  statusOnline('conversation-state'),
  describeAnswers('conversation-state'),
  {
    rule: 'state.listening',
    text: 'With the model connected and the speaker and microphone open, say `listening` with the microphone open in `conversation/state` (retained, republished on every change).',
  },
  {
    rule: 'commands.not-repeated',
    text: 'Tell playback, audio-capture and the dsp only what their states do not already say: a service may publish its state again after every command, unchanged, and must not be answered with the same command again.',
  },
  {
    rule: 'turn.states',
    text: 'Follow a turn from the model\'s VAD, its response and playback\'s item events: `userSpeaking`, `waiting`, `assistantSpeaking`, then `listening` when the reply has drained and its response is done.',
  },
  { rule: 'turn.report', text: 'Report each turn on `conversation/event/turn` when it ends: its number, outcome, response and what was heard.' },
  {
    rule: 'barge-in.stops',
    text: 'In full duplex, when a voice over the reply lasts and the dsp\'s echo-aware VAD says it is a person, send `playback/cmd/flush` and `realtime-gateway/cmd/cancel` at once.',
  },
  { rule: 'barge-in.truncates', text: 'Then truncate the model\'s item to the `heardMs` of playback\'s `flushed`, and report the turn `interrupted`.' },
  {
    rule: 'barge-in.pauses',
    text: 'In full duplex, when a voice starts over the reply, send `playback/cmd/pause` (with a `forMs` covering the guard) at once; `playback/cmd/resume` when the guard turns it down.',
  },
  { rule: 'mute.user', text: 'On `conversation/cmd/mute` for the person, shut the microphone (`audio-capture/cmd/mute`) and say so in the state until `unmute`.' },
  metricsPublished('conversation-state'),
  MESSAGES_VALID,
  lastWill('conversation-state'),
];

export const LCD_DUTIES: readonly Duty[] = [
  statusOnline('lcd'),
  describeAnswers('lcd'),
  {
    rule: 'draws.changes',
    text: 'Draw the conversation from the bus (`conversation/state`, the gateway\'s transcripts, the dsp\'s levels, the services\' statuses) and count each frame drawn in the `frames.drawn` counter of `lcd/metrics`.',
  },
  {
    rule: 'bad-input.survives',
    text: 'Drop a message that does not validate, count it in its metrics\' `bus.invalidReceived` under the topic\'s key, and go on drawing.',
  },
  metricsPublished('lcd'),
  MESSAGES_VALID,
  {
    rule: 'publishes.only-own',
    text: 'Publish nothing but `lcd/status`, `lcd/metrics`, `lcd/res/…` and, for buttons it has, the person\'s `conversation/cmd/…`: a display shows, it does not drive the services.',
  },
  lastWill('lcd'),
];

/** The services the conformance kit checks, and their duties (each with its rule). */
export const CHECKED_DUTIES: Readonly<Record<string, readonly Duty[]>> = {
  playback: PLAYBACK_DUTIES,
  'audio-capture': AUDIO_CAPTURE_DUTIES,
  dsp: DSP_DUTIES,
  'realtime-gateway': GATEWAY_DUTIES,
  'conversation-state': CONVERSATION_DUTIES,
  lcd: LCD_DUTIES,
};

/** The other services' duties, in words; the kit does not check them yet. */
export const OTHER_DUTIES: Readonly<Record<string, readonly Duty[]>> = {
  dsp: [
    {
      text: 'Remove the echo of `audio/played` from the microphone when echo cancellation is on, and say in `dsp/state` whether it is active and converged; `dsp/event/vad` at the start and end of speech (and, if it can, as a voice begins: `voice_onset`), timed on the capture clock.',
    },
  ],
  'realtime-gateway': [
    { text: 'Send `audio/input` to the model; publish the `vad`, `transcript`, `response` and `error` events as the model reports them.' },
    { text: 'Carry out the other `cmd` topics (commit, clear-input, system, raw, update-session, turn-detection, disconnect, reconnect) on the session.' },
  ],
  'conversation-state': [
    { text: 'Mute and unmute the microphone and speaker as the mode asks (half-duplex: the microphone shut while the assistant speaks); pause, resume, end, start and push-to-talk as their commands say.' },
  ],
};
