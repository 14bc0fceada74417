import type { ScreenModel } from './screen-model.js';

/** Which configured colour a status is drawn in. */
export type Tone = 'active' | 'idle' | 'warning' | 'voice';

export interface StatusView {
  readonly label: string;
  readonly tone: Tone;
  /** The second line: turn and mode, or what went wrong. */
  readonly detail: string;
  /** Mutes, drawn in the warning colour at the right of the detail line. */
  readonly tags: readonly string[];
}

export interface TranscriptView {
  /** Drawn first, in the warning colour: the last error while the conversation is in error. */
  readonly notice: string | null;
  readonly user: string | null;
  readonly assistant: string | null;
}

export interface MeterView {
  /** Whole dBFS, so the meter is redrawn when a bar moves, not on every message. */
  readonly input: { readonly rmsDbfs: number; readonly peakDbfs: number } | null;
  readonly output: { readonly rmsDbfs: number; readonly peakDbfs: number } | null;
  readonly voice: boolean;
}

export interface HealthView {
  readonly text: string;
  readonly warning: boolean;
}

export interface ScreenView {
  readonly status: StatusView;
  readonly transcript: TranscriptView;
  readonly meter: MeterView;
  readonly health: HealthView;
}

/** What each region shows, as plain data: equal views draw equal pixels. */
export function screenView(model: ScreenModel): ScreenView {
  return { status: statusView(model), transcript: transcriptView(model), meter: meterView(model), health: healthView(model) };
}

function statusView(model: ScreenModel): StatusView {
  const c = model.conversation;
  if (!model.busConnected) return { label: 'No connection', tone: 'warning', detail: 'waiting for the voxbus broker', tags: [] };
  // A retained state from a conversation-state that has since died is history, not news.
  if (model.services['conversation-state'] === false) return { label: 'Assistant offline', tone: 'warning', detail: 'conversation-state is not running', tags: [] };
  if (!c) return { label: 'Starting…', tone: 'idle', detail: 'waiting for conversation-state', tags: [] };
  const tags = [...(c.muted.user ? ['mic off'] : []), ...(c.muted.assistant ? ['speaker off'] : [])];
  const turnDetail = `turn ${c.turn} · ${c.mode}`;
  const view = (label: string, tone: Tone, detail = turnDetail): StatusView => ({ label, tone, detail, tags });
  switch (c.state) {
    case 'offline':
      return view('Offline', 'warning', 'the model is not connected');
    case 'connecting':
      return view('Connecting…', 'idle', 'to the realtime model');
    case 'reconnecting':
      return view('Reconnecting…', 'warning', 'the link to the model dropped');
    case 'listening':
      if (c.muted.user) return view('Microphone off', 'warning');
      return view(c.mode === 'push-to-talk' ? 'Push to talk' : 'Listening', 'active');
    case 'userSpeaking':
      return view('Hearing you', 'voice');
    case 'waiting':
      return view('Thinking…', 'idle');
    case 'assistantSpeaking':
      return view('Speaking', 'active');
    case 'paused':
      return view('Paused', 'idle');
    case 'ended':
      return view('Conversation ended', 'idle', 'start it again to talk');
    case 'error':
      return view('Error', 'warning', c.lastError?.code ?? 'the model failed');
  }
}

function transcriptView(model: ScreenModel): TranscriptView {
  const c = model.conversation;
  const notice = c?.state === 'error' && c.lastError ? c.lastError.message : null;
  return { notice, user: tail(model.user?.text), assistant: tail(model.assistant?.text) };
}

/**
 * Only the end of a long text can be on screen (it scrolls to the newest line), so only the end
 * is wrapped at each frame: a two-minute reply costs what a paragraph does. No screen in reach
 * shows 1000 characters, so the cut is never in view.
 */
const TEXT_TAIL_CHARS = 1000;

function tail(text: string | undefined): string | null {
  const trimmed = text?.trim();
  if (!trimmed) return null;
  return trimmed.length > TEXT_TAIL_CHARS ? trimmed.slice(-TEXT_TAIL_CHARS) : trimmed;
}

function meterView(model: ScreenModel): MeterView {
  const l = model.levels;
  if (!l || !model.busConnected) return { input: null, output: null, voice: false };
  return {
    input: { rmsDbfs: Math.round(l.inputRmsDbfs), peakDbfs: Math.round(l.inputPeakDbfs) },
    output: { rmsDbfs: Math.round(l.outputRmsDbfs), peakDbfs: Math.round(l.outputPeakDbfs) },
    voice: l.voice,
  };
}

function healthView(model: ScreenModel): HealthView {
  if (!model.busConnected) return { text: 'bus offline', warning: true };
  const names = Object.keys(model.services).sort();
  const offline = names.filter((name) => !model.services[name]);
  const problems = [
    ...(offline.length > 0 ? [`offline: ${offline.join(', ')}`] : []),
    // A device the service cannot open: only while its service runs (otherwise it says offline).
    ...model.failingDevices.filter((device) => model.services[device === 'microphone' ? 'audio-capture' : 'playback'] !== false).map((device) => `no ${device}`),
  ];
  if (problems.length > 0) return { text: problems.join(' · '), warning: true };
  return { text: `${names.length} services online`, warning: false };
}
