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
  type PlayedPeriod,
  type PlaybackStream,
  type StreamRequest,
} from './types.js';
import { FakeSpeaker } from './fake-speaker.js';
import { DEFAULT_SILENCE_REPORT_MS, validateGain, validatePcm, validatePlaybackRequest, validateStreamRequest } from './validate-request.js';

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
    // As the engine: played silence is handed over once silenceReportMs of it is held, content at once.
    const silentReportFrames = Math.max(granted.periodFrames, Math.floor((granted.sampleRateHz * (request.silenceReportMs ?? DEFAULT_SILENCE_REPORT_MS)) / 1000));
    const held: PlayedPeriod[] = [];
    const timer = this.clock.setRepeating(`fake playback ${request.device}`, periodUs / 1000, () => {
      const { pcm, contentStart, contentFrames } = speaker.playPeriod();
      device.heard.push(pcm);
      const delayUs = ((granted.bufferFrames - granted.periodFrames) * 1e6) / granted.sampleRateHz;
      const nowUs = this.clock.monotonicUs();
      held.push({ pcm, frames: granted.periodFrames, timeUs: nowUs + delayUs, lostFramesBefore: 0, writtenUs: nowUs, contentStart, contentFrames });
      if (contentFrames > 0 || held.length * granted.periodFrames >= silentReportFrames) for (const period of held.splice(0)) handlers.onPlayed?.(period);
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
      pause: (paused) => speaker.pause(paused),
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
