import {
  type AudioBackend,
  AudioDeviceError,
  type CaptureHandlers,
  type CaptureStream,
  type DeviceInfo,
  FakeSpeaker,
  type GrantedFormat,
  type PlaybackHandlers,
  type PlaybackRequest,
  type PlaybackStream,
  type StreamRequest,
  validatePlaybackRequest,
  validateStreamRequest,
} from '@voxbus/alsa';
import type { Counter } from '@voxbus/shared';
import { Pacer, type PacerClock } from './pacer.js';

/** The one device the line offers, by the name the stand-ins' `device` setting gives. */
export const LINE_DEVICE = 'call';

export interface LineFormat {
  readonly sampleRateHz: number;
  readonly periodMs: number;
  readonly bufferPeriods: number;
  readonly inboundJitterMs: number;
  readonly inboundMaxMs: number;
}

/** Where the reply goes while a call is up: each period the speaker played, at the line's rate, mono. */
export interface LineListener {
  played(pcm: Buffer): void;
}

export interface LineCounters {
  /** Caller audio dropped because too much waited (ms). */
  readonly inboundDroppedMs: Counter;
  /** Periods the microphone got silence because the caller's audio had run dry mid-call. */
  readonly inboundUnderruns: Counter;
  /** Periods skipped because the process stalled longer than the pacer catches up. */
  readonly stalledPeriods: Counter;
}

interface OpenCapture {
  readonly handlers: CaptureHandlers;
  periods: number;
}

interface OpenPlayback {
  readonly handlers: PlaybackHandlers;
  readonly speaker: FakeSpeaker;
}

/**
 * The phone line as an audio device: the microphone and speaker the stand-ins open (through the
 * same AudioBackend interface ALSA's backend implements), paced in real time by one clock. The
 * microphone hears the caller (silence between calls, as a quiet room); what the speaker plays
 * goes to the call up, if any, and is the echo reference either way. The playback engine is the
 * one the fake backend runs (FakeSpeaker: ring, fades, flush, gain, heard position), so flush and
 * heardMs behave as on a board. Knows nothing of WebSockets or MQTT.
 */
export class CallLine implements AudioBackend {
  private readonly granted: GrantedFormat;
  private readonly periodBytes: number;
  private readonly pacer: Pacer;
  private capture: OpenCapture | undefined;
  private playback: OpenPlayback | undefined;
  private listener: LineListener | undefined;
  private readonly inbound: Buffer[] = [];
  private inboundBytes = 0;
  /** Gathering `inboundJitterMs` of the caller before the microphone takes from it. */
  private priming = true;
  private inCall = false;

  constructor(
    private readonly format: LineFormat,
    clock: PacerClock,
    private readonly counters: LineCounters,
  ) {
    const periodFrames = Math.round((format.sampleRateHz * format.periodMs) / 1000);
    this.granted = {
      device: LINE_DEVICE,
      sampleRateHz: format.sampleRateHz,
      channels: 1,
      sampleFormat: 's16le',
      periodFrames,
      bufferFrames: periodFrames * format.bufferPeriods,
    };
    this.periodBytes = periodFrames * 2;
    this.pacer = new Pacer(clock, format.periodMs * 1000, (_tick, timeUs) => this.tick(timeUs), (periods) => this.counters.stalledPeriods.inc(periods));
  }

  get lineFormat(): GrantedFormat {
    return this.granted;
  }

  /** A call is up: the reply goes to `listener`, and the caller's audio (`hear`) to the microphone. */
  connect(listener: LineListener): void {
    this.listener = listener;
    this.inCall = true;
    this.dropInbound();
  }

  /** The call ended: the microphone hears silence again, the reply goes nowhere (but is still the reference). */
  disconnect(): void {
    this.listener = undefined;
    this.inCall = false;
    this.dropInbound();
  }

  /** Caller audio at the line's rate, mono s16le, as it arrives. */
  hear(pcm: Buffer): void {
    if (!this.inCall || pcm.length === 0) return;
    this.inbound.push(pcm);
    this.inboundBytes += pcm.length;
    const maxBytes = Math.round((this.format.inboundMaxMs * this.format.sampleRateHz) / 1000) * 2;
    let dropped = 0;
    while (this.inboundBytes > maxBytes && this.inbound.length > 1) {
      const head = this.inbound.shift() as Buffer;
      this.inboundBytes -= head.length;
      dropped += head.length;
    }
    if (dropped > 0) this.counters.inboundDroppedMs.inc(Math.round((dropped / 2 / this.format.sampleRateHz) * 1000));
  }

  listDevices(): DeviceInfo[] {
    return [{ name: LINE_DEVICE, description: 'the phone call the telephony bridge carries (silence between calls)', direction: 'both' }];
  }

  async openCapture(request: StreamRequest, handlers: CaptureHandlers): Promise<CaptureStream> {
    validateStreamRequest(request);
    this.check(request.device, 'capture', this.capture !== undefined);
    const open: OpenCapture = { handlers, periods: 0 };
    this.capture = open;
    this.pacer.start();
    return {
      granted: this.granted,
      stats: () => ({ state: this.capture === open ? 'running' : 'closed', periods: open.periods, xruns: 0, droppedPeriods: 0, delayFrames: 0, realtime: false }),
      close: async () => {
        if (this.capture === open) this.capture = undefined;
        this.idle();
      },
    };
  }

  async openPlayback(request: PlaybackRequest, handlers: PlaybackHandlers): Promise<PlaybackStream> {
    validatePlaybackRequest(request);
    this.check(request.device, 'playback', this.playback !== undefined);
    // The request's sizes are at the rate asked for; the line grants its own.
    const scale = this.granted.sampleRateHz / request.sampleRateHz;
    const speaker = new FakeSpeaker(this.granted, Math.max(this.granted.periodFrames, Math.round(request.ringFrames * scale)), Math.max(1, Math.round(request.fadeFrames * scale)));
    const open: OpenPlayback = { handlers, speaker };
    this.playback = open;
    this.pacer.start();
    return {
      granted: this.granted,
      write: (pcm) => (this.playback === open ? speaker.write(pcm) : 0),
      flush: () => speaker.flush(),
      // The speaker holds the reply (its periods carry no content, so the caller gets none) and
      // refuses a non-boolean, as the real backends do.
      pause: (paused) => speaker.pause(paused),
      setGain: (gain) => {
        speaker.gain = gain;
      },
      stats: () => ({ state: this.playback === open ? 'running' : 'closed', ...speaker.stats() }),
      close: async () => {
        if (this.playback === open) this.playback = undefined;
        this.idle();
      },
    };
  }

  private check(device: string, direction: string, busy: boolean): void {
    if (device !== LINE_DEVICE) {
      throw new AudioDeviceError('device_not_found', device, `cannot open ${direction} device '${device}': the telephony bridge has only '${LINE_DEVICE}'`);
    }
    if (busy) throw new AudioDeviceError('device_busy', device, `cannot open ${direction} device '${device}': already open`);
  }

  private idle(): void {
    if (this.capture === undefined && this.playback === undefined) this.pacer.stop();
  }

  private dropInbound(): void {
    this.inbound.length = 0;
    this.inboundBytes = 0;
    this.priming = true;
  }

  /** One period of the line: what the caller said goes to the microphone, what the speaker plays to the caller. */
  private tick(timeUs: number): void {
    const periodUs = this.format.periodMs * 1000;
    const capture = this.capture;
    if (capture !== undefined) {
      capture.periods += 1;
      capture.handlers.onPeriod({ pcm: this.takeInbound(), frames: this.granted.periodFrames, timeUs, lostFramesBefore: 0 });
    }
    const playback = this.playback;
    if (playback !== undefined) {
      const { pcm, contentStart, contentFrames } = playback.speaker.playPeriod();
      // Written at the end of its period; heard once the platform's buffer ahead of it has played.
      const writtenUs = timeUs + periodUs;
      const delayUs = ((this.granted.bufferFrames - this.granted.periodFrames) * 1e6) / this.granted.sampleRateHz;
      playback.handlers.onPlayed?.({ pcm, frames: this.granted.periodFrames, timeUs: writtenUs + delayUs, lostFramesBefore: 0, writtenUs, contentStart, contentFrames });
      if (contentFrames > 0) {
        this.listener?.played(pcm);
        playback.handlers.onSpace?.();
      }
    }
  }

  private takeInbound(): Buffer {
    const period = Buffer.alloc(this.periodBytes);
    const jitterBytes = Math.round((this.format.inboundJitterMs * this.format.sampleRateHz) / 1000) * 2;
    if (this.priming) {
      if (this.inboundBytes < Math.max(jitterBytes, this.periodBytes)) return period;
      this.priming = false;
    }
    let filled = 0;
    while (filled < this.periodBytes && this.inbound.length > 0) {
      const head = this.inbound[0] as Buffer;
      const count = Math.min(head.length, this.periodBytes - filled);
      head.copy(period, filled, 0, count);
      filled += count;
      if (count === head.length) this.inbound.shift();
      else this.inbound[0] = head.subarray(count);
    }
    this.inboundBytes -= filled;
    if (filled < this.periodBytes) {
      // Ran dry mid-call: the rest is silence, and the next audio is gathered again first.
      this.priming = true;
      this.counters.inboundUnderruns.inc();
    }
    return period;
  }
}
