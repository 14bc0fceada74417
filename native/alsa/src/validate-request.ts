import type { PlaybackRequest, StreamRequest } from './types.js';

/**
 * Argument checks shared by the real backend and the fake, so that both refuse the same
 * requests with the same messages (the native code checks again, with terser messages).
 */
export function validateStreamRequest(request: StreamRequest): void {
  if (typeof request !== 'object' || request === null) throw new TypeError('the stream request must be an object');
  if (typeof request.device !== 'string' || request.device.length === 0 || request.device.length > 256) {
    throw new TypeError('device must be a non-empty ALSA PCM name of at most 256 characters');
  }
  integerIn('sampleRateHz', request.sampleRateHz, 1000, 384_000);
  integerIn('channels', request.channels, 1, 32);
  integerIn('periodFrames', request.periodFrames, 16, 65_536);
  integerIn('bufferFrames', request.bufferFrames, 32, 1 << 20);
  if (request.bufferFrames < 2 * request.periodFrames) {
    throw new RangeError(`bufferFrames (${request.bufferFrames}) must hold at least two periods of ${request.periodFrames} frames`);
  }
  if (request.realtimePriority !== undefined) integerIn('realtimePriority', request.realtimePriority, 0, 99);
}

/** How often (ms) played silence is handed over when a request does not say (PlaybackRequest.silenceReportMs). */
export const DEFAULT_SILENCE_REPORT_MS = 20;

export function validatePlaybackRequest(request: PlaybackRequest): void {
  validateStreamRequest(request);
  integerIn('ringFrames', request.ringFrames, 64, 1 << 24);
  integerIn('fadeFrames', request.fadeFrames, 1, 65_536);
  if (request.silenceReportMs !== undefined) integerIn('silenceReportMs', request.silenceReportMs, 1, 1000);
}

export function validateGain(gain: number): void {
  if (typeof gain !== 'number' || !(gain >= 0 && gain <= 4)) throw new RangeError(`gain must be a number in [0, 4], got ${gain}`);
}

export function validatePcm(pcm: Uint8Array): void {
  if (!(pcm instanceof Uint8Array)) throw new TypeError('pcm must be a Buffer or Uint8Array');
}

function integerIn(name: string, value: number, min: number, max: number): void {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new RangeError(`${name} must be an integer in [${min}, ${max}], got ${String(value)}`);
  }
}

/** PlaybackStream.pause's argument, checked alike by the real backend and the fake. */
export function validatePaused(paused: unknown): asserts paused is boolean {
  if (typeof paused !== 'boolean') throw new TypeError(`paused must be a boolean, got ${typeof paused}`);
}
