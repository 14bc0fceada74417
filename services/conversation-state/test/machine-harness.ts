import { createLogger } from '@voxbus/shared';
import { createActor, SimulatedClock } from 'xstate';
import { CONVERSATION_DEFAULTS, type ConversationConfig } from '../src/config.js';
import { conversationMachine } from '../src/conversation-machine.js';
import { conversationEffects } from '../src/effects.js';
import type { ConversationEvent, EarconName, Restored } from '../src/machine-types.js';
import type { ConversationPort, TurnReportPayload } from '../src/port.js';
import { stateView } from '../src/state-view.js';

/** A ConversationPort that writes down what the machine made happen, in order. */
export class RecordingPort implements ConversationPort {
  readonly calls: string[] = [];
  readonly reports: TurnReportPayload[] = [];
  constructor(private readonly clock: SimulatedClock) {}
  /** What the model hears: the effects the table calls the microphone. */
  inputMuted = (muted: boolean, resend = false) => this.calls.push(`${muted ? 'mic:shut' : 'mic:open'}${resend ? ':again' : ''}`);
  micMuted = (muted: boolean, resend = false) => this.calls.push(`${muted ? 'capture:off' : 'capture:on'}${resend ? ':again' : ''}`);
  speakerMuted = (muted: boolean, resend = false) => this.calls.push(`${muted ? 'speaker:muted' : 'speaker:on'}${resend ? ':again' : ''}`);
  /** As the bus port: a resume is said at the end of the step (`settle`), unless a flush in it ended the pause. */
  private pauseHeld = false;
  private resumeDue = false;
  flushPlayback = () => {
    this.pauseHeld = false;
    this.resumeDue = false;
    this.calls.push('flush');
  };
  pausePlayback = (forMs: number) => {
    this.pauseHeld = true;
    this.resumeDue = false;
    this.calls.push(`pause:${forMs}`);
  };
  resumePlayback = () => {
    if (this.pauseHeld) this.resumeDue = true;
  };
  /** The step is over: what the bus port's microtask would say now. */
  settle(): void {
    if (!this.resumeDue) return;
    this.resumeDue = false;
    this.pauseHeld = false;
    this.calls.push('resume');
  }
  cancelResponse = () => this.calls.push('cancel');
  truncate = (itemId: string, audioEndMs: number) => this.calls.push(`truncate:${itemId}:${audioEndMs}`);
  commitInput = () => this.calls.push('commit');
  clearInput = () => this.calls.push('clear');
  earcon = (name: EarconName) => this.calls.push(`earcon:${name}`);
  turnDetection = (mode: 'server' | 'manual', interrupt: boolean) => this.calls.push(`turns:${mode}:${interrupt}`);
  disconnect = () => this.calls.push('disconnect');
  reconnect = () => this.calls.push('reconnect');
  answerTool = (requestId: string, name: string) => this.calls.push(`tool:${name}:${requestId}`);
  turnReport = (report: TurnReportPayload) => {
    this.reports.push(report);
    this.calls.push(`report:${report.outcome}`);
  };
  nowUs = () => this.clock.now() * 1000;
}

export type Settings = Omit<Partial<ConversationConfig>, 'earcons'> & { earcons?: Partial<ConversationConfig['earcons']> };

/** The machine as a live actor on a simulated clock, its effects recorded. */
export class Conversation {
  readonly clock = new SimulatedClock();
  readonly port = new RecordingPort(this.clock);
  readonly actor;
  private mark = 0;

  constructor(settings: Settings = {}, restored?: Restored) {
    const full: ConversationConfig = {
      ...CONVERSATION_DEFAULTS,
      ...settings,
      earcons: { ...CONVERSATION_DEFAULTS.earcons, ...settings.earcons },
    };
    const machine = conversationMachine.provide({ actions: conversationEffects(this.port, createLogger('test', 'silent')) });
    this.actor = createActor(machine, { clock: this.clock, input: { settings: full, restored } });
    this.actor.subscribe({ error: (error) => { throw error; } });
    this.actor.start();
  }

  get nowUs(): number {
    return this.clock.now() * 1000;
  }

  send(event: ConversationEvent): this {
    this.actor.send(event);
    this.port.settle();
    return this;
  }

  advance(ms: number): this {
    this.clock.increment(ms);
    this.port.settle();
    return this;
  }

  /** The state as published on the bus. */
  get view() {
    return stateView(this.actor.getSnapshot());
  }

  get where(): string {
    const { state, phase } = this.view;
    return phase ? `${state}.${phase}` : state;
  }

  /** Effects since the last call. */
  effects(): string[] {
    this.port.settle();
    const out = this.port.calls.slice(this.mark);
    this.mark = this.port.calls.length;
    return out;
  }

  // ---- steps that bring the conversation somewhere

  connect(): this {
    this.send({ type: 'GATEWAY', state: 'connecting', reason: null }).send({ type: 'GATEWAY', state: 'connected', reason: null });
    return this.send({ type: 'EARCON_DRAINED', name: 'listening' });
  }

  speechStarted(source: 'server' | 'local' = 'server', spokenMs = 0): this {
    return this.send({ type: 'SPEECH_STARTED', source, atUs: this.nowUs, spokenMs });
  }

  /** The dsp heard a voice begin (`spokenMs` of it): not yet speech. */
  voiceOnset(spokenMs = 30): this {
    return this.send({ type: 'VOICE_ONSET', atUs: this.nowUs, spokenMs });
  }

  /** A voice over the reply, as both VADs report it: the model's, and the dsp's echo-aware one (which has heard 150 ms of it). */
  voiceOverReply(): this {
    return this.speechStarted('server').speechStarted('local', 150);
  }

  speechStopped(source: 'server' | 'local' = 'server'): this {
    return this.send({ type: 'SPEECH_STOPPED', source, atUs: this.nowUs });
  }

  /** The user speaks for `ms` and stops. */
  userTurn(ms = 800, source: 'server' | 'local' = 'server'): this {
    return this.speechStarted(source).advance(ms).speechStopped(source);
  }

  /** A reply starts: created, first audio, first sample heard. */
  replyStarts(responseId = 'resp_1', itemId = 'item_1'): this {
    this.send({ type: 'RESPONSE_CREATED', responseId, atUs: this.advance(120).nowUs });
    this.send({ type: 'RESPONSE_AUDIO', responseId, atUs: this.advance(200).nowUs });
    return this.send({ type: 'PLAYBACK_STARTED', itemId, heardAtUs: this.advance(60).nowUs });
  }

  position(heardMs: number, receivedMs: number, itemId = 'item_1'): this {
    return this.send({ type: 'PLAYBACK_POSITION', itemId, heardMs, receivedMs, atUs: this.nowUs });
  }

  /** Playback's flush cut the item at `heardMs`. */
  flushed(heardMs: number, receivedMs: number, itemId = 'item_1'): this {
    return this.send({ type: 'PLAYBACK_FLUSHED', itemId, heardMs, receivedMs, atUs: this.advance(20).nowUs });
  }

  /** The reply's stream ended and everything received has been heard. */
  replyEnds(responseId = 'resp_1', itemId = 'item_1', ms = 1500): this {
    this.send({ type: 'RESPONSE_DONE', responseId, status: 'completed', reason: null, audioMs: ms, atUs: this.nowUs });
    return this.send({ type: 'PLAYBACK_DRAINED', itemId, heardMs: ms, receivedMs: ms, atUs: this.advance(ms).nowUs });
  }

  /** The dsp's retained state: echo cancellation converged (or not), its output as the machine wants it, its VAD on. */
  echo(converged: boolean, vad = true, running = true): this {
    const { micOpen } = this.view;
    return this.send({ type: 'DSP_STATE', converged, muted: !micOpen, vad, running });
  }

  fullDuplex(): this {
    return this.echo(true);
  }
}
