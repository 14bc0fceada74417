import { KNOWN_SERVICES, type Payload } from '@voxbus/shared';

/**
 * Services besides the project's own the screen follows (a replacement under a new name, a
 * telephony bridge): the first ones seen, up to this many. Any client may publish a status, and
 * every name is drawn: 20,000 made-up names took the lcd to 460 MB and stalled it.
 */
export const MAX_OTHER_SERVICES = 8;
const KNOWN: ReadonlySet<string> = new Set(KNOWN_SERVICES);

/** Whether the screen follows `service`'s status: one of the project's, one already followed, or room for another. */
export function followsService(model: ScreenModel, service: string): boolean {
  if (KNOWN.has(service) || service in model.services) return true;
  return Object.keys(model.services).filter((name) => !KNOWN.has(name)).length < MAX_OTHER_SERVICES;
}

export type ConversationView = Payload<'conversation.state'>;
export type TranscriptMessage = Payload<'realtime-gateway.event.transcript'>;
export type LevelsMessage = Payload<'dsp.event.levels'>;

export interface Transcript {
  readonly itemId: string;
  readonly text: string;
  readonly final: boolean;
  /** The conversation's turn when the item began: a newer turn's text replaces the other role's. */
  readonly turn: number;
}

export interface Levels {
  readonly inputRmsDbfs: number;
  readonly inputPeakDbfs: number;
  readonly outputRmsDbfs: number;
  readonly outputPeakDbfs: number;
  readonly voice: boolean;
}

/** Everything the screen shows, built from the bus only; every change makes a new object. */
export interface ScreenModel {
  readonly busConnected: boolean;
  /** The retained conversation state; null until it arrives. */
  readonly conversation: ConversationView | null;
  readonly user: Transcript | null;
  readonly assistant: Transcript | null;
  readonly levels: Levels | null;
  /** Service name → whether its retained status says online. */
  readonly services: Readonly<Record<string, boolean>>;
  /** Devices that audio-capture or playback report failing (and retry). */
  readonly failingDevices: readonly AudioDevice[];
}

export type AudioDevice = 'microphone' | 'speaker';

export const EMPTY_SCREEN: ScreenModel = { busConnected: false, conversation: null, user: null, assistant: null, levels: null, services: {}, failingDevices: [] };

export type ScreenEvent =
  | { readonly type: 'bus'; readonly connected: boolean }
  | { readonly type: 'conversation'; readonly state: ConversationView }
  | { readonly type: 'transcript'; readonly message: TranscriptMessage }
  | { readonly type: 'levels'; readonly levels: LevelsMessage }
  | { readonly type: 'status'; readonly service: string; readonly online: boolean }
  | { readonly type: 'device'; readonly device: AudioDevice; readonly ok: boolean };

/** The screen's reducer: pure, so the golden tests and the service build the same pictures. */
export function reduceScreen(model: ScreenModel, event: ScreenEvent): ScreenModel {
  switch (event.type) {
    case 'bus':
      return { ...model, busConnected: event.connected };
    case 'conversation':
      return { ...model, conversation: event.state };
    case 'transcript':
      return withTranscript(model, event.message);
    case 'levels': {
      const { input, output, voice } = event.levels;
      return {
        ...model,
        levels: { inputRmsDbfs: input.rmsDbfs, inputPeakDbfs: input.peakDbfs, outputRmsDbfs: output.rmsDbfs, outputPeakDbfs: output.peakDbfs, voice },
      };
    }
    case 'status': {
      // Nothing changed (statuses are re-sent), or one name too many: the same model, nothing to redraw.
      if (model.services[event.service] === event.online || !followsService(model, event.service)) return model;
      const services = { ...model.services, [event.service]: event.online };
      // Levels from a dsp that went away would freeze on the meter.
      const levels = event.service === 'dsp' && !event.online ? null : model.levels;
      return { ...model, services, levels };
    }
    case 'device': {
      const others = model.failingDevices.filter((device) => device !== event.device);
      return { ...model, failingDevices: event.ok ? others : [...others, event.device].sort() };
    }
  }
}

function withTranscript(model: ScreenModel, message: TranscriptMessage): ScreenModel {
  const role = message.role;
  const other = role === 'user' ? 'assistant' : 'user';
  const current = model[role];
  const turn = model.conversation?.turn ?? 0;
  let next: Transcript;
  if (message.kind === 'final') {
    next = { itemId: message.itemId, text: message.text, final: true, turn: current?.itemId === message.itemId ? current.turn : turn };
  } else if (current?.itemId === message.itemId) {
    // A delta after the final (late, reordered) must not append the text twice.
    if (current.final) return model;
    next = { ...current, text: current.text + message.text };
  } else {
    next = { itemId: message.itemId, text: message.text, final: false, turn };
  }
  // The person's words for turn N arrive while (or after) the reply to N streams: both stay. A
  // new turn's first words clear what is left of the turn before.
  const stale = model[other] !== null && (model[other] as Transcript).turn < next.turn;
  return { ...model, [role]: next, [other]: stale ? null : model[other] };
}
