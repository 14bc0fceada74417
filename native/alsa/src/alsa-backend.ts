import { createRequire } from 'node:module';
import { setThreadsNice, type ThreadNiceResult } from './thread-nice.js';
import {
  AUDIO_ERROR_CODES,
  type AudioBackend,
  AudioDeviceError,
  type AudioErrorCode,
  type AudioPeriod,
  type CaptureHandlers,
  type CaptureStream,
  type DeviceInfo,
  type GrantedFormat,
  type PlaybackHandlers,
  type PlaybackRequest,
  type PlaybackStats,
  type PlaybackStream,
  type StreamRequest,
  type StreamStats,
} from './types.js';
import { DEFAULT_SILENCE_REPORT_MS, validateGain, validatePaused, validatePcm, validatePlaybackRequest, validateStreamRequest } from './validate-request.js';

/** The addon's own surface, exactly as cc/pcm_stream.cc and cc/addon.cc define it. */
interface NativeGranted {
  rateHz: number;
  channels: number;
  periodFrames: number;
  bufferFrames: number;
}
interface NativeStatus extends Partial<Omit<PlaybackStats, 'state'>> {
  state: 'running' | 'failed' | 'closed';
  errorCode?: string;
  errorMessage?: string;
}
interface NativePcmStream {
  open(options: Record<string, string | number>): Promise<NativeGranted>;
  readPeriod(): AudioPeriod | null;
  write(pcm: Uint8Array): number;
  flush(): void;
  setGain(gain: number): void;
  pause(paused: boolean): void;
  status(): NativeStatus;
  failed(): boolean;
  close(): Promise<void>;
}
interface NativeAddon {
  PcmStream: new (direction: 'capture' | 'playback', onWake: () => void) => NativePcmStream;
  listDevices(): DeviceInfo[];
  alsaVersion: string;
}

let addon: NativeAddon | undefined;

/** Loads the compiled addon on first use, so that importing this package never fails by itself. */
function loadAddon(): NativeAddon {
  if (addon === undefined) {
    const require = createRequire(import.meta.url);
    try {
      addon = require('../build/Release/voxbus_alsa.node') as NativeAddon;
    } catch (error) {
      throw new Error(
        `the ALSA addon is not built (${(error as Error).message}); run deploy/setup.sh, which installs libasound2-dev and builds it`,
      );
    }
  }
  return addon;
}

function errorCode(code: string | undefined): AudioErrorCode {
  return (AUDIO_ERROR_CODES as readonly string[]).includes(code ?? '') ? (code as AudioErrorCode) : 'device_error';
}

function toDeviceError(error: unknown, device: string): AudioDeviceError {
  const native = error as { code?: string; message?: string };
  return new AudioDeviceError(errorCode(native.code), device, native.message ?? String(error));
}

function stats(status: NativeStatus): StreamStats {
  return {
    state: status.state,
    periods: status.periods ?? 0,
    xruns: status.xruns ?? 0,
    droppedPeriods: status.droppedPeriods ?? 0,
    delayFrames: status.delayFrames ?? 0,
    realtime: status.realtime ?? false,
  };
}

function playbackStats(status: NativeStatus): PlaybackStats {
  return {
    ...stats(status),
    silenceFrames: status.silenceFrames ?? 0,
    contentWrittenFrames: status.contentWrittenFrames ?? 0,
    contentReadFrames: status.contentReadFrames ?? 0,
    contentHeardFrames: status.contentHeardFrames ?? 0,
    ringCapacityFrames: status.ringCapacityFrames ?? 0,
    flushesDone: status.flushesDone ?? 0,
    lastCutFrames: status.lastCutFrames ?? 0,
    paused: status.paused ?? false,
  };
}

/**
 * One native stream and its wake-ups: on each, drain the periods the audio thread produced,
 * report a failure once, and (playback) say there is room. A handler that throws is reported
 * as a stream error instead of escaping into the addon's callback.
 */
class NativeStreamDriver {
  readonly native: NativePcmStream;
  private failed = false;

  constructor(
    direction: 'capture' | 'playback',
    private readonly device: string,
    private readonly handlers: {
      onPeriod?: (period: AudioPeriod) => void;
      onSpace?: () => void;
      onError: (error: AudioDeviceError) => void;
    },
  ) {
    this.native = new (loadAddon().PcmStream)(direction, () => this.onWake());
  }

  private onWake(): void {
    try {
      for (let period = this.native.readPeriod(); period !== null; period = this.native.readPeriod()) {
        this.handlers.onPeriod?.(period);
      }
      this.handlers.onSpace?.();
    } catch (error) {
      this.handlers.onError(new AudioDeviceError('device_error', this.device, `a stream handler threw: ${(error as Error).message}`));
    }
    if (!this.failed && this.native.failed()) {
      const status = this.native.status();
      this.failed = true;
      this.handlers.onError(
        new AudioDeviceError(errorCode(status.errorCode), this.device, `${this.device}: ${status.errorMessage ?? 'stream failed'}`),
      );
    }
  }

  async open(options: Record<string, string | number>): Promise<GrantedFormat> {
    try {
      const granted = await this.native.open(options);
      return {
        device: this.device,
        sampleRateHz: granted.rateHz,
        channels: granted.channels,
        sampleFormat: 's16le',
        periodFrames: granted.periodFrames,
        bufferFrames: granted.bufferFrames,
      };
    } catch (error) {
      throw toDeviceError(error, this.device);
    }
  }
}

function nativeOptions(request: StreamRequest): Record<string, string | number> {
  return {
    device: request.device,
    rateHz: request.sampleRateHz,
    channels: request.channels,
    periodFrames: request.periodFrames,
    bufferFrames: request.bufferFrames,
    realtimePriority: request.realtimePriority ?? 0,
  };
}

/** Real ALSA devices through the native addon. */
export class AlsaBackend implements AudioBackend {
  /** libasound's version, e.g. "1.2.8". */
  static alsaVersion(): string {
    return loadAddon().alsaVersion;
  }

  listDevices(): DeviceInfo[] {
    return loadAddon().listDevices();
  }

  setThreadsNice(nice: number): ThreadNiceResult {
    return setThreadsNice(nice);
  }

  async openCapture(request: StreamRequest, handlers: CaptureHandlers): Promise<CaptureStream> {
    validateStreamRequest(request);
    const driver = new NativeStreamDriver('capture', request.device, handlers);
    const granted = await driver.open(nativeOptions(request));
    const native = driver.native;
    return {
      granted,
      stats: () => stats(native.status()),
      close: () => native.close(),
    };
  }

  async openPlayback(request: PlaybackRequest, handlers: PlaybackHandlers): Promise<PlaybackStream> {
    validatePlaybackRequest(request);
    const driver = new NativeStreamDriver('playback', request.device, {
      // The addon's playback periods carry writtenUs / contentStart / contentFrames.
      ...(handlers.onPlayed ? { onPeriod: handlers.onPlayed as (period: AudioPeriod) => void } : {}),
      ...(handlers.onSpace ? { onSpace: handlers.onSpace } : {}),
      onError: handlers.onError,
    });
    const granted = await driver.open({ ...nativeOptions(request), ringFrames: request.ringFrames, fadeFrames: request.fadeFrames, silenceReportMs: request.silenceReportMs ?? DEFAULT_SILENCE_REPORT_MS });
    const native = driver.native;
    return {
      granted,
      write(pcm) {
        validatePcm(pcm);
        return native.write(pcm);
      },
      flush: () => native.flush(),
      setGain(gain) {
        validateGain(gain);
        native.setGain(gain);
      },
      pause(paused) {
        // The addon refuses a non-boolean too, but with no hint of what it was given.
        validatePaused(paused);
        native.pause(paused);
      },
      stats: () => playbackStats(native.status()),
      close: () => native.close(),
    };
  }
}
