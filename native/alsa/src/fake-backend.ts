import {
  type AudioBackend,
  AudioDeviceError,
  type CaptureHandlers,
  type CaptureStream,
  type DeviceDirection,
  type DeviceInfo,
  type GrantedFormat,
  type PlaybackHandlers,
  type PlaybackRequest,
  type PlaybackStats,
  type PlaybackStream,
  type StreamRequest,
} from './types.js';
import { validateGain, validatePcm, validatePlaybackRequest, validateStreamRequest } from './validate-request.js';

/** The part of voxbus's Clock the fake needs (structurally the same interface). */
export interface FakeAudioClock {
  monotonicUs(): number;
  setRepeating(name: string, periodMs: number, callback: () => void): { cancel(): void };
}

const realTimeClock: FakeAudioClock = {
  monotonicUs: () => Number(process.hrtime.bigint() / 1000n),
  setRepeating(_name, periodMs, callback) {
    const timer = setInterval(callback, periodMs);
    return { cancel: () => clearInterval(timer) };
  },
};

export interface FakeDeviceSpec {
  readonly name: string;
  readonly direction: DeviceDirection;
  readonly description?: string;
  /** Rates the device can run at; it grants the nearest (default: any). */
  readonly sampleRatesHz?: readonly number[];
  /** Channel counts it can do; it grants the nearest (a stereo-only codec: [2]). */
  readonly channelCounts?: readonly number[];
}

interface FakeDevice {
  spec: FakeDeviceSpec;
  present: boolean;
  busy: boolean;
  /** PCM waiting to be "heard" by the microphone, in the granted format. */
  micQueue: Buffer[];
  /** Everything the speaker played, silence included. */
  heard: Buffer[];
  streams: Set<{ fail(error: AudioDeviceError): void }>;
}

function nearest(values: readonly number[] | undefined, wanted: number): number {
  if (values === undefined || values.length === 0) return wanted;
  return values.reduce((best, value) => (Math.abs(value - wanted) < Math.abs(best - wanted) ? value : best));
}

/**
 * Audio devices in memory with the real backend's behaviour: the same argument checks and
 * error codes, whole periods at the device's pace (on the given clock), the granted format
 * possibly differing from the request, a device buffer that delays what is heard, fades,
 * flush, gain, and devices that can be unplugged, plugged back or be busy.
 */
export class FakeAudioBackend implements AudioBackend {
  private readonly devices = new Map<string, FakeDevice>();

  constructor(
    private readonly clock: FakeAudioClock = realTimeClock,
    devices: readonly FakeDeviceSpec[] = [{ name: 'default', direction: 'both' }],
  ) {
    for (const spec of devices) this.addDevice(spec);
  }

  addDevice(spec: FakeDeviceSpec): void {
    this.devices.set(spec.name, { spec, present: true, busy: false, micQueue: [], heard: [], streams: new Set() });
  }

  /** The device goes away: open streams fail with device_lost, opens fail with device_not_found. */
  unplug(name: string): void {
    const device = this.device(name);
    device.present = false;
    for (const stream of [...device.streams]) {
      stream.fail(new AudioDeviceError('device_lost', name, `${name}: the device went away`));
    }
  }

  plug(name: string): void {
    this.device(name).present = true;
  }

  setBusy(name: string, busy: boolean): void {
    this.device(name).busy = busy;
  }

  /** Queues PCM (in the format the capture stream was granted) for the microphone to hear. */
  speak(name: string, pcm: Buffer): void {
    this.device(name).micQueue.push(Buffer.from(pcm));
  }

  /** Everything the speaker has played so far, silence included, in the granted format. */
  heard(name: string): Buffer {
    return Buffer.concat(this.device(name).heard);
  }

  listDevices(): DeviceInfo[] {
    return [...this.devices.values()]
      .filter((device) => device.present)
      .map(({ spec }) => ({ name: spec.name, description: spec.description ?? `fake ${spec.name}`, direction: spec.direction }));
  }

  async openCapture(request: StreamRequest, handlers: CaptureHandlers): Promise<CaptureStream> {
    validateStreamRequest(request);
    const { device, granted } = this.open(request, 'capture');
    const frameBytes = granted.channels * 2;
    const periodBytes = granted.periodFrames * frameBytes;
    const periodUs = (granted.periodFrames * 1e6) / granted.sampleRateHz;
    let periods = 0;
    let state: 'running' | 'failed' | 'closed' = 'running';
    const takeFromMic = (): Buffer => {
      const period = Buffer.alloc(periodBytes);
      let filled = 0;
      while (filled < periodBytes && device.micQueue.length > 0) {
        const head = device.micQueue[0] as Buffer;
        const count = Math.min(head.length, periodBytes - filled);
        head.copy(period, filled, 0, count);
        filled += count;
        if (count === head.length) device.micQueue.shift();
        else device.micQueue[0] = head.subarray(count);
      }
      return period;
    };
    const timer = this.clock.setRepeating(`fake capture ${request.device}`, periodUs / 1000, () => {
      periods += 1;
      handlers.onPeriod({ pcm: takeFromMic(), frames: granted.periodFrames, timeUs: this.clock.monotonicUs() - periodUs, lostFramesBefore: 0 });
    });
    const stream = {
      fail: (error: AudioDeviceError) => {
        if (state !== 'running') return;
        state = 'failed';
        timer.cancel();
        handlers.onError(error);
      },
    };
    device.streams.add(stream);
    return {
      granted,
      stats: () => ({ state, periods, xruns: 0, droppedPeriods: 0, delayFrames: 0, realtime: false }),
      close: async () => {
        timer.cancel();
        device.streams.delete(stream);
        if (state === 'running') state = 'closed';
      },
    };
  }

  async openPlayback(request: PlaybackRequest, handlers: PlaybackHandlers): Promise<PlaybackStream> {
    validatePlaybackRequest(request);
    const { device, granted } = this.open(request, 'playback');
    const speaker = new FakeSpeaker(granted, request.ringFrames, request.fadeFrames);
    const periodUs = (granted.periodFrames * 1e6) / granted.sampleRateHz;
    let state: 'running' | 'failed' | 'closed' = 'running';
    const timer = this.clock.setRepeating(`fake playback ${request.device}`, periodUs / 1000, () => {
      const { pcm, contentStart, contentFrames } = speaker.playPeriod();
      device.heard.push(pcm);
      const delayUs = ((granted.bufferFrames - granted.periodFrames) * 1e6) / granted.sampleRateHz;
      const nowUs = this.clock.monotonicUs();
      handlers.onPlayed?.({ pcm, frames: granted.periodFrames, timeUs: nowUs + delayUs, lostFramesBefore: 0, writtenUs: nowUs, contentStart, contentFrames });
      if (contentFrames > 0) handlers.onSpace?.();
    });
    const stream = {
      fail: (error: AudioDeviceError) => {
        if (state !== 'running') return;
        state = 'failed';
        timer.cancel();
        handlers.onError(error);
      },
    };
    device.streams.add(stream);
    return {
      granted,
      write(pcm) {
        validatePcm(pcm);
        return state === 'running' ? speaker.write(pcm) : 0;
      },
      flush: () => speaker.flush(),
      setGain(gain) {
        validateGain(gain);
        speaker.gain = gain;
      },
      stats: (): PlaybackStats => ({ state, ...speaker.stats() }),
      close: async () => {
        timer.cancel();
        device.streams.delete(stream);
        if (state === 'running') state = 'closed';
      },
    };
  }

  private device(name: string): FakeDevice {
    const device = this.devices.get(name);
    if (device === undefined) throw new Error(`no fake device named ${name}`);
    return device;
  }

  private open(request: StreamRequest, direction: 'capture' | 'playback'): { device: FakeDevice; granted: GrantedFormat } {
    const device = this.devices.get(request.device);
    if (device === undefined || !device.present || (device.spec.direction !== 'both' && device.spec.direction !== direction)) {
      throw new AudioDeviceError('device_not_found', request.device, `cannot open ${direction} device '${request.device}': No such file or directory`);
    }
    if (device.busy) {
      throw new AudioDeviceError('device_busy', request.device, `cannot open ${direction} device '${request.device}': Device or resource busy`);
    }
    return {
      device,
      granted: {
        device: request.device,
        sampleRateHz: nearest(device.spec.sampleRatesHz, request.sampleRateHz),
        channels: nearest(device.spec.channelCounts, request.channels),
        sampleFormat: 's16le',
        periodFrames: request.periodFrames,
        bufferFrames: request.bufferFrames,
      },
    };
  }
}

/**
 * The playback engine's period logic (cc/playback_engine.cc) in TypeScript: a ring of content,
 * fades where content starts and runs out, flush with a fade, gain, and the heard position
 * with the device buffer always full (delay = buffer).
 */
class FakeSpeaker {
  gain = 1;
  private readonly frameBytes: number;
  private readonly queue: Buffer[] = [];
  private queuedBytes = 0;
  private written = 0;
  private read = 0;
  private heard = 0;
  private silence = 0;
  private lastWasSilent = true;
  private flushPending = false;
  private flushesDone = 0;
  private lastCut = 0;
  private periods = 0;
  /** Content frames per period written to the device, newest last, as long as the buffer. */
  private readonly inDevice: { contentStart: number; contentFrames: number }[] = [];

  constructor(
    private readonly granted: GrantedFormat,
    private readonly ringFrames: number,
    private readonly fadeFrames: number,
  ) {
    this.frameBytes = granted.channels * 2;
  }

  write(pcm: Uint8Array): number {
    const room = this.ringFrames - this.queuedBytes / this.frameBytes;
    const frames = Math.min(room, Math.floor(pcm.length / this.frameBytes));
    if (frames <= 0) return 0;
    this.queue.push(Buffer.from(pcm.subarray(0, frames * this.frameBytes)));
    this.queuedBytes += frames * this.frameBytes;
    this.written += frames;
    return frames;
  }

  flush(): void {
    this.flushPending = true;
  }

  playPeriod(): { pcm: Buffer; contentStart: number; contentFrames: number } {
    const periodFrames = this.granted.periodFrames;
    const pcm = Buffer.alloc(periodFrames * this.frameBytes);
    const contentStart = this.read;
    let content: number;
    if (this.flushPending) {
      this.flushPending = false;
      content = this.lastWasSilent ? 0 : this.take(pcm, Math.min(this.fadeFrames, periodFrames));
      this.applyGain(pcm, content);
      this.ramp(pcm, 0, content, false);
      this.lastCut = this.read;
      this.take(null, this.queuedBytes / this.frameBytes);
      this.flushesDone += 1;
      this.lastWasSilent = true;
    } else {
      content = this.take(pcm, periodFrames);
      this.applyGain(pcm, content);
      if (content > 0 && this.lastWasSilent) this.ramp(pcm, 0, Math.min(this.fadeFrames, content), true);
      if (content > 0 && content < periodFrames) {
        const fade = Math.min(this.fadeFrames, content);
        this.ramp(pcm, content - fade, fade, false);
      }
      this.lastWasSilent = content < periodFrames;
    }
    this.silence += periodFrames - content;
    this.periods += 1;
    this.inDevice.push({ contentStart, contentFrames: content });
    // The device holds bufferFrames; the oldest period in it has now been heard.
    const periodsInDevice = Math.max(1, Math.round(this.granted.bufferFrames / periodFrames));
    while (this.inDevice.length > periodsInDevice) {
      const out = this.inDevice.shift() as { contentStart: number; contentFrames: number };
      this.heard = Math.max(this.heard, out.contentStart + out.contentFrames);
    }
    return { pcm, contentStart, contentFrames: content };
  }

  stats(): Omit<PlaybackStats, 'state'> {
    return {
      periods: this.periods,
      xruns: 0,
      droppedPeriods: 0,
      delayFrames: this.granted.bufferFrames,
      realtime: false,
      silenceFrames: this.silence,
      contentWrittenFrames: this.written,
      contentReadFrames: this.read,
      contentHeardFrames: this.heard,
      ringCapacityFrames: this.ringFrames,
      flushesDone: this.flushesDone,
      lastCutFrames: this.lastCut,
    };
  }

  /** Moves up to `frames` content frames out of the queue into `target` (or drops them). */
  private take(target: Buffer | null, frames: number): number {
    let bytes = Math.min(frames * this.frameBytes, this.queuedBytes);
    const total = bytes;
    let offset = 0;
    while (bytes > 0) {
      const head = this.queue[0] as Buffer;
      const count = Math.min(head.length, bytes);
      target?.set(head.subarray(0, count), offset);
      offset += count;
      bytes -= count;
      if (count === head.length) this.queue.shift();
      else this.queue[0] = head.subarray(count);
    }
    this.queuedBytes -= total;
    this.read += total / this.frameBytes;
    return total / this.frameBytes;
  }

  private applyGain(pcm: Buffer, frames: number): void {
    if (this.gain === 1) return;
    for (let i = 0; i < frames * this.granted.channels; i++) {
      pcm.writeInt16LE(Math.max(-32768, Math.min(32767, Math.trunc(pcm.readInt16LE(i * 2) * this.gain))), i * 2);
    }
  }

  private ramp(pcm: Buffer, startFrame: number, frames: number, up: boolean): void {
    const channels = this.granted.channels;
    for (let frame = 0; frame < frames; frame++) {
      const factor = up ? (frame + 1) / frames : (frames - frame - 1) / frames;
      for (let channel = 0; channel < channels; channel++) {
        const at = ((startFrame + frame) * channels + channel) * 2;
        pcm.writeInt16LE(Math.trunc(pcm.readInt16LE(at) * factor), at);
      }
    }
  }
}
