/**
 * The audio device interface the services depend on. `AlsaBackend` implements it over the
 * native addon, `FakeAudioBackend` in memory; one contract test suite runs against both.
 * Samples are always interleaved s16le; rates, channels and sizes are what the device granted.
 */

import type { ThreadNiceResult } from './thread-nice.js';

export type DeviceDirection = 'capture' | 'playback' | 'both';

export interface DeviceInfo {
  readonly name: string;
  readonly description: string;
  readonly direction: DeviceDirection;
}

export interface StreamRequest {
  /** An ALSA PCM name: `default`, `plughw:1,0`, `hw:CARD=Device`, a PulseAudio-backed device… */
  readonly device: string;
  readonly sampleRateHz: number;
  readonly channels: number;
  readonly periodFrames: number;
  readonly bufferFrames: number;
  /** SCHED_FIFO priority for the audio thread (1–99), or 0 for normal scheduling. */
  readonly realtimePriority?: number;
}

export interface PlaybackRequest extends StreamRequest {
  /** Room between JS and the audio thread, in frames at the granted rate. */
  readonly ringFrames: number;
  /** Length of the fade at a start, a flush, and where the audio runs out, in frames. */
  readonly fadeFrames: number;
  /**
   * How often (ms) the audio thread hands played silence over (content goes every period): the
   * echo reference's frame. The dsp waits for the reference ahead of each microphone chunk, so
   * the sooner silence is said, the less the microphone waits. Default 20.
   */
  readonly silenceReportMs?: number;
}

/** What the device actually gave: the rate, channels and sizes may differ from the request. */
export interface GrantedFormat {
  readonly device: string;
  readonly sampleRateHz: number;
  readonly channels: number;
  readonly sampleFormat: 's16le';
  readonly periodFrames: number;
  readonly bufferFrames: number;
}

export interface AudioPeriod {
  /** Interleaved s16le, `frames` × channels samples. */
  readonly pcm: Buffer;
  readonly frames: number;
  /**
   * CLOCK_MONOTONIC µs of the first sample: when it was captured (capture), or when it
   * reaches the speaker (playback's record of what it played).
   */
  readonly timeUs: number;
  /**
   * Capture: frames lost just before this period because JS had not taken them in time.
   * Playback: frames played that this record never got (JS had not taken them in time), or 1
   * after an xrun (the device played silence of its own, for an unknown time): either way, the
   * record's timeline breaks there.
   */
  readonly lostFramesBefore: number;
}

/** A period playback wrote to the device, with where its content came from. */
/**
 * A fixed-length frame cut from the capture: the shape of the bus's audio frame (shared's
 * AudioFrame), declared here so the addon depends on nothing of the project's.
 */
export interface CapturedFrame {
  readonly sampleRateHz: number;
  readonly channels: number;
  readonly sampleFormat: 's16le';
  /** +1 per frame, wrapping at 2^32; a gap means frames were lost. */
  readonly sequence: number;
  /** CLOCK_MONOTONIC time of the first sample, in µs. */
  readonly captureTimeUs: number;
  readonly pcm: Uint8Array;
}

export interface PlayedPeriod extends AudioPeriod {
  /** CLOCK_MONOTONIC µs when it was written into the device (timeUs is when it is heard). */
  readonly writtenUs: number;
  /** Content position (as counted by write()) of its first content frame, and how many it has. */
  readonly contentStart: number;
  readonly contentFrames: number;
}

export const AUDIO_ERROR_CODES = [
  'device_not_found',
  'device_busy',
  'permission_denied',
  'unsupported_format',
  'device_lost',
  'device_error',
] as const;
export type AudioErrorCode = (typeof AUDIO_ERROR_CODES)[number];

/** A device failure, with a code a program can act on and a message a person can. */
export class AudioDeviceError extends Error {
  override readonly name = 'AudioDeviceError';
  constructor(
    readonly code: AudioErrorCode,
    readonly device: string,
    message: string,
  ) {
    super(message);
  }
}

export interface StreamStats {
  readonly state: 'running' | 'failed' | 'closed';
  /** Periods moved between the device and JS. */
  readonly periods: number;
  /** Overruns (capture) or underruns (playback) that were recovered. */
  readonly xruns: number;
  /** Periods lost because JS had not taken them in time. */
  readonly droppedPeriods: number;
  /** Frames between the application and the speaker or microphone, at the last transfer. */
  readonly delayFrames: number;
  /** Whether the audio thread got the realtime priority it asked for. */
  readonly realtime: boolean;
}

export interface PlaybackStats extends StreamStats {
  /** Frames of silence the audio thread wrote because nothing was queued. */
  readonly silenceFrames: number;
  /** Content frames accepted by write(), since the stream opened. */
  readonly contentWrittenFrames: number;
  /** Content frames taken by the audio thread (played, or dropped by a flush). */
  readonly contentReadFrames: number;
  /** Content frames that have come out of the speaker: written to the device minus its delay. */
  readonly contentHeardFrames: number;
  readonly ringCapacityFrames: number;
  /** Flushes the audio thread has carried out (flush() asks; this says it is done). */
  readonly flushesDone: number;
  /**
   * Where the last flush cut the content: content frames before it were (or will be) heard,
   * the rest never will be. contentHeardFrames jumps past dropped content, so a flushed item's
   * heard length is bounded by this.
   */
  readonly lastCutFrames: number;
  /**
   * What the audio thread is doing now, not what was last asked: true from the period in which it
   * acted on pause(true) (the one that faded out, or found nothing sounding) until it builds the
   * first period after pause(false). While true, and no pause(false) has been asked since,
   * contentReadFrames (in the same stats()) is where the pause stopped and stays there.
   */
  readonly paused: boolean;
}

export interface CaptureHandlers {
  /** One period of microphone audio, in order. */
  onPeriod(period: AudioPeriod): void;
  /** The stream failed (the device went away); it delivers nothing more and should be closed. */
  onError(error: AudioDeviceError): void;
}

export interface PlaybackHandlers {
  /**
   * Every period that went to the device, silence included (the echo reference runs on between
   * replies); `contentFrames` says how much of it was written audio.
   */
  onPlayed?(period: PlayedPeriod): void;
  /** The audio thread took content from the ring: there is room to write more. */
  onSpace?(): void;
  onError(error: AudioDeviceError): void;
}

export interface CaptureStream {
  readonly granted: GrantedFormat;
  stats(): StreamStats;
  close(): Promise<void>;
}

export interface PlaybackStream {
  readonly granted: GrantedFormat;
  /** Queues whole frames; returns how many frames fitted (the rest must be written later). */
  write(pcm: Uint8Array): number;
  /** Fades out and drops everything written so far, within one period. */
  flush(): void;
  /** Linear gain, 0–4; glides over one period. */
  setGain(gain: number): void;
  /**
   * Holds the sound (true) or lets it go on (false). While paused the audio thread reads nothing
   * from the ring and plays silence: what was sounding fades out within one period (the fade's
   * frames are played, so count as heard), content positions do not advance, and resuming fades
   * in from the very next unread frame. A flush while paused drops what was written as usual
   * (nothing to fade) and the stream stays paused until pause(false). Idempotent. Anything but a
   * boolean is a TypeError.
   */
  pause(paused: boolean): void;
  stats(): PlaybackStats;
  close(): Promise<void>;
}

export interface AudioBackend {
  listDevices(): DeviceInfo[];
  openCapture(request: StreamRequest, handlers: CaptureHandlers): Promise<CaptureStream>;
  openPlayback(request: PlaybackRequest, handlers: PlaybackHandlers): Promise<PlaybackStream>;
  /**
   * Sets the niceness of the threads its streams run on, once open (see setThreadsNice): absent
   * where there are none to set (a fake device, a call line fed by a socket).
   */
  setThreadsNice?(nice: number): ThreadNiceResult;
}
