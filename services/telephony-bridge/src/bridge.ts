import { Resampler } from '@voxbus/dsp';
import type { Clock, Counter, Logger, MetricsRegistry, Payload } from '@voxbus/shared';
import { AcsStream } from './acs-stream.js';
import type { CallLine } from './call-line.js';
import type { CallStream, ProblemCode, StreamSocket } from './call-stream.js';
import type { TelephonyConfig } from './config.js';
import { FreeswitchStream } from './freeswitch-stream.js';

export type TelephonyStatePayload = Payload<'telephony-bridge.state'>;

/** A WebSocket a platform opened, as the bridge sees it. */
export interface IncomingStream {
  /** The request's path and query: `/freeswitch/<uuid>?rate=16000`, `/acs`. */
  readonly url: URL;
  readonly socket: StreamSocket;
  close(code: number, reason: string): void;
}

/** What the server hands a stream's messages and end to. */
export interface StreamHandle {
  receive(data: Buffer, isBinary: boolean): void;
  closed(code: number, reason: string): void;
}

export interface BridgeDeps {
  readonly line: CallLine;
  readonly clock: Clock;
  readonly log: Logger;
  readonly metrics: MetricsRegistry;
  readonly publishState: (state: TelephonyStatePayload) => void;
  readonly startConversation: () => void;
  readonly endConversation: () => void;
}

/** WebSocket close codes the bridge refuses a stream with (RFC 6455 §7.4.1). */
export const CLOSE_POLICY = 1008;
export const CLOSE_TRY_AGAIN_LATER = 1013;

const RATE_HZ_RANGE = { min: 8000, max: 48_000 };

interface Call {
  readonly stream: CallStream;
  readonly sinceMs: number;
  rateHz: number | null;
  /** Caller audio from the call's rate to the line's, and the reply back. */
  inbound: Resampler | undefined;
  outbound: Resampler | undefined;
  readonly problemsSaid: Set<ProblemCode>;
}

/**
 * The calls: one at a time on the line (a second stream is refused with 1013 and a reason), each
 * a FreeSWITCH or ACS stream by its path. A call's audio, resampled to the line's rate, is what
 * the stand-in microphone hears; what the stand-in speaker plays goes back resampled to the
 * call's; a flush reaches the platform as its clear. A call's start and end start and end the
 * conversation. Bad messages are counted, said once per call and kind, and never end the call.
 * Knows nothing of MQTT or of the WebSocket server.
 */
export class TelephonyBridge {
  private call: Call | undefined;
  private calls = 0;
  private refused = 0;
  private lastError: TelephonyStatePayload['lastError'] = null;
  private stateSinceMs: number;
  /** The conversation state last reacted to while no call was up (end is said once per state). */
  private endedFor: string | undefined;
  private stopped = false;
  private nextCallNumber = 1;
  private readonly counters: {
    taken: Counter;
    refused: Counter;
    ended: Counter;
    framesIn: Counter;
    framesOut: Counter;
    clears: Counter;
    errors: Counter;
  };
  private readonly problemCounters = new Map<ProblemCode, Counter>();

  constructor(
    private readonly config: TelephonyConfig,
    private readonly deps: BridgeDeps,
  ) {
    const { metrics } = deps;
    this.counters = {
      taken: metrics.counter('calls.taken'),
      refused: metrics.counter('calls.refused'),
      ended: metrics.counter('calls.ended'),
      framesIn: metrics.counter('call.messagesIn'),
      framesOut: metrics.counter('call.messagesOut'),
      clears: metrics.counter('call.clears'),
      errors: metrics.counter('protocol.errors'),
    };
    this.stateSinceMs = deps.clock.nowMs();
    this.publish();
  }

  /** A platform opened a stream: take it as the call, or refuse it with a reason it can log. */
  accept(incoming: IncomingStream): StreamHandle | undefined {
    const route = this.route(incoming.url);
    if (typeof route === 'string') return this.refuse(incoming, CLOSE_POLICY, route);
    if (this.stopped) return this.refuse(incoming, CLOSE_TRY_AGAIN_LATER, 'the voxbus telephony bridge is stopping');
    if (this.call !== undefined) {
      return this.refuse(
        incoming,
        CLOSE_TRY_AGAIN_LATER,
        `a call is already up on this board (${this.call.stream.platform} ${this.call.stream.callId}): one call at a time per bus base topic`,
      );
    }
    const callId = route.callId ?? `${route.platform}-${this.nextCallNumber++}`;
    const events = {
      format: (rateHz: number) => this.format(call, rateHz),
      audio: (pcm: Buffer) => this.heard(call, pcm),
      problem: (code: ProblemCode, message: string) => this.problem(call, code, message),
    };
    const socket: StreamSocket = {
      sendText: (text) => {
        this.counters.framesOut.inc();
        incoming.socket.sendText(text);
      },
      sendBinary: (data) => {
        this.counters.framesOut.inc();
        incoming.socket.sendBinary(data);
      },
    };
    const call: Call = { stream: undefined as unknown as CallStream, sinceMs: this.deps.clock.nowMs(), rateHz: null, inbound: undefined, outbound: undefined, problemsSaid: new Set() };
    this.call = call;
    (call as { stream: CallStream }).stream =
      route.platform === 'acs'
        ? new AcsStream(callId, socket, events)
        : new FreeswitchStream(
            { callId, sampleRateHz: route.rateHz ?? this.config.freeswitchRateHz, reply: this.config.freeswitchReply, clearText: this.config.freeswitchClear },
            socket,
            events,
          );
    this.calls += 1;
    this.counters.taken.inc();
    this.deps.line.connect({ played: (pcm) => this.play(call, pcm) });
    this.deps.log.info({ platform: route.platform, callId, rateHz: call.rateHz }, 'call up');
    this.setState();
    if (this.config.conversationPerCall) this.deps.startConversation();
    return {
      receive: (data, isBinary) => {
        if (this.call !== call) return;
        this.counters.framesIn.inc();
        call.stream.receive(data, isBinary);
      },
      closed: (code, reason) => this.hangUp(call, code, reason),
    };
  }

  /** playback/cmd/flush: the stand-in speaker drops its queue; the platform is told to drop what it holds. */
  flushed(): void {
    const call = this.call;
    if (call === undefined || call.rateHz === null) return;
    this.counters.clears.inc();
    call.stream.clear();
  }

  /** conversation/state: between calls the conversation is kept ended (the model's session closed). */
  conversationState(state: string): void {
    if (!this.config.conversationPerCall || this.call !== undefined || this.stopped) return;
    if (state === 'ended') {
      this.endedFor = undefined;
      return;
    }
    if (this.endedFor === state) return;
    this.endedFor = state;
    this.deps.endConversation();
  }

  get callUp(): boolean {
    return this.call !== undefined;
  }

  stop(): void {
    this.stopped = true;
    this.deps.publishState(this.snapshot('stopped'));
  }

  private route(url: URL): { platform: 'freeswitch' | 'acs'; callId: string | undefined; rateHz: number | undefined } | string {
    const [first, second, ...rest] = url.pathname.split('/').filter((part) => part !== '');
    if ((first !== 'freeswitch' && first !== 'acs') || rest.length > 0) {
      return `no media stream at ${url.pathname.slice(0, 80)}: use /freeswitch[/<call id>][?rate=8000|16000] for mod_audio_stream or /acs for Azure Communication Services`;
    }
    const rate = url.searchParams.get('rate');
    let rateHz: number | undefined;
    if (rate !== null) {
      rateHz = Number(rate.replace(/k$/i, '000'));
      if (!Number.isInteger(rateHz) || rateHz < RATE_HZ_RANGE.min || rateHz > RATE_HZ_RANGE.max) {
        return `rate=${rate.slice(0, 12)} is not a sample rate between ${RATE_HZ_RANGE.min} and ${RATE_HZ_RANGE.max} Hz (give the <sampling-rate> of uuid_audio_stream, e.g. 8000 or 16000)`;
      }
    }
    return { platform: first, callId: second === undefined ? undefined : decodeURIComponent(second).slice(0, 128), rateHz };
  }

  private refuse(incoming: IncomingStream, code: number, reason: string): undefined {
    this.refused += 1;
    this.counters.refused.inc();
    this.deps.log.warn({ path: incoming.url.pathname.slice(0, 80), code }, `stream refused: ${reason}`);
    // A close reason is at most 123 bytes (RFC 6455 §5.5): the platform logs what fits.
    incoming.close(code, Buffer.from(`voxbus: ${reason}`).subarray(0, 123).toString('utf8').replace(/\uFFFD$/, ''));
    this.setState();
    return undefined;
  }

  private format(call: Call, rateHz: number): void {
    call.rateHz = rateHz;
    const lineRateHz = this.deps.line.lineFormat.sampleRateHz;
    const quality = this.config.resampleQuality;
    call.inbound = new Resampler({ channels: 1, inRateHz: rateHz, outRateHz: lineRateHz, quality });
    call.outbound = new Resampler({ channels: 1, inRateHz: lineRateHz, outRateHz: rateHz, quality });
    if (this.call === call && call.stream !== undefined) this.setState();
  }

  private heard(call: Call, pcm: Buffer): void {
    if (this.call !== call || call.inbound === undefined) return;
    this.deps.line.hear(call.inbound.process(pcm));
  }

  private play(call: Call, pcm: Buffer): void {
    if (this.call !== call || call.outbound === undefined) return;
    call.stream.sendAudio(call.outbound.process(pcm));
  }

  private problem(call: Call, code: ProblemCode, message: string): void {
    this.counters.errors.inc();
    let counter = this.problemCounters.get(code);
    if (counter === undefined) {
      counter = this.deps.metrics.counter(`protocol.${code}`);
      this.problemCounters.set(code, counter);
    }
    counter.inc();
    // Said once per call and kind (a stream that repeats a mistake fifty times a second would flood the log).
    const first = !call.problemsSaid.has(code);
    call.problemsSaid.add(code);
    const fields = { platform: call.stream.platform, callId: call.stream.callId, code };
    if (first) this.deps.log.warn(fields, `call stream: ${message}`);
    else this.deps.log.debug(fields, `call stream: ${message}`);
    if (first) {
      this.lastError = { code, message, atMs: this.deps.clock.nowMs() };
      this.setState();
    }
  }

  private hangUp(call: Call, code: number, reason: string): void {
    if (this.call !== call) return;
    this.call = undefined;
    this.deps.line.disconnect();
    this.counters.ended.inc();
    this.deps.log.info({ platform: call.stream.platform, callId: call.stream.callId, code, reason: reason.slice(0, 123), durationMs: this.deps.clock.nowMs() - call.sinceMs }, 'call ended');
    this.endedFor = undefined;
    this.setState();
    if (this.config.conversationPerCall && !this.stopped) this.deps.endConversation();
  }

  private setState(): void {
    this.stateSinceMs = this.deps.clock.nowMs();
    this.publish();
  }

  private publish(): void {
    this.deps.publishState(this.snapshot(this.call === undefined ? 'waiting' : 'in-call'));
  }

  private snapshot(state: TelephonyStatePayload['state']): TelephonyStatePayload {
    const call = this.call;
    return {
      state,
      call: call === undefined ? null : { platform: call.stream.platform, callId: call.stream.callId, sampleRateHz: call.rateHz, sinceMs: call.sinceMs },
      calls: this.calls,
      refused: this.refused,
      lastError: this.lastError,
      sinceMs: this.stateSinceMs,
    };
  }
}
