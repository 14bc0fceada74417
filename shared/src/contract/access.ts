import { CONTRACT, type KNOWN_SERVICES, type TopicKey } from './contract.js';

/**
 * Who may do what on the bus, when the broker enforces access control (a users file):
 * - `service`: a voxbus service (or its replacement), logged in under its service name. It
 *   publishes its own `status`, `metrics` and `describe` answers, the topics below for its
 *   name, and tool answers; it reads everything under the base topic.
 * - `monitor`: reads states, events and metrics; not the microphone (`audio/mic`, `audio/input`)
 *   unless granted `hearAudio`; publishes nothing but `describe` requests.
 * - `controller`: what a monitor may, and the user commands below.
 * - `admin`: everything, the broker's `$SYS` included.
 */
export const BUS_ROLES = ['service', 'monitor', 'controller', 'admin'] as const;
export type BusRole = (typeof BUS_ROLES)[number];

/** Every role's common ground: a `describe` request to any service. */
export const ANYONE_PUBLISHES: readonly TopicKey[] = ['service.describe.req'];

/** A service's own topics (`{service}` is its login name). */
export const EVERY_SERVICE_PUBLISHES: readonly TopicKey[] = ['service.status', 'service.metrics', 'service.describe.res', 'tools.res'];

/** What each project service publishes beyond its own status, metrics and answers. */
export const SERVICE_PUBLISHES: Readonly<Record<(typeof KNOWN_SERVICES)[number], readonly TopicKey[]>> = {
  broker: [],
  'audio-capture': ['audio-capture.state', 'audio.mic'],
  dsp: ['dsp.state', 'dsp.event.vad', 'dsp.event.levels', 'audio.input'],
  'realtime-gateway': [
    'realtime-gateway.state',
    'realtime-gateway.event.transcript',
    'realtime-gateway.event.vad',
    'realtime-gateway.event.response',
    'realtime-gateway.event.error',
    'realtime-gateway.event.raw',
    'audio.output',
    'tools.req',
  ],
  'realtime-sim': ['realtime-sim.event.timing'],
  playback: ['playback.state', 'playback.event.item', 'audio.played'],
  'conversation-state': [
    'conversation.state',
    'conversation.event.turn',
    'realtime-gateway.cmd.cancel',
    'realtime-gateway.cmd.truncate',
    'realtime-gateway.cmd.clear-input',
    'realtime-gateway.cmd.commit',
    'realtime-gateway.cmd.turn-detection',
    'realtime-gateway.cmd.disconnect',
    'realtime-gateway.cmd.reconnect',
    'audio-capture.cmd.mute',
    'audio-capture.cmd.unmute',
    'playback.cmd.flush',
    'playback.cmd.pause',
    'playback.cmd.resume',
    'playback.cmd.mute',
    'playback.cmd.unmute',
    'playback.cmd.earcon',
    'dsp.cmd.mute',
    'dsp.cmd.unmute',
  ],
  // The lcd only shows; a build with buttons would add the user commands they send.
  lcd: [],
  // It also publishes Home Assistant's discovery configs, under HOME_ASSISTANT_PREFIX.
  'home-assistant': ['home-assistant.state.transcript', 'conversation.cmd.mute', 'conversation.cmd.unmute'],
  recorder: ['recorder.state'],
  // It stands in for audio-capture and playback under their names and logins; under its own, a call's start and end.
  'telephony-bridge': ['telephony-bridge.state', 'conversation.cmd.start', 'conversation.cmd.end'],
};

/**
 * Services one login stands in for, beside its own name: the telephony bridge's process runs
 * audio-capture and playback on the call under its one login, and publishes their topics
 * (status, metrics and answers included) as they would.
 */
export const STANDS_IN_FOR: Readonly<Partial<Record<(typeof KNOWN_SERVICES)[number], readonly (typeof KNOWN_SERVICES)[number][]>>> = {
  'telephony-bridge': ['audio-capture', 'playback'],
};

/** What a person (or their buttons, the monitor page, the CLI) may ask for as a `controller`. */
export const USER_COMMANDS: readonly TopicKey[] = [
  ...(Object.keys(CONTRACT) as TopicKey[]).filter((key) => key.startsWith('conversation.cmd.')),
  'playback.cmd.volume',
  'playback.cmd.mute',
  'playback.cmd.unmute',
  'audio-capture.cmd.mute',
  'audio-capture.cmd.unmute',
  'realtime-gateway.cmd.say',
  'realtime-gateway.cmd.system',
  'realtime-gateway.cmd.raw',
  'realtime-gateway.cmd.update-session',
  'realtime-gateway.cmd.reconnect',
  'realtime-sim.cmd.fault',
  'home-assistant.cmd.mute',
  'recorder.cmd.start',
  'recorder.cmd.stop',
  'recorder.cmd.delete',
];

/** What the microphone heard: a monitor or controller receives it only when granted `hearAudio`. */
export const PRIVATE_AUDIO: readonly TopicKey[] = ['audio.mic', 'audio.input'];
