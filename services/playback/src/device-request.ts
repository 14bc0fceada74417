/** What the speaker asks of its device: the playback request, in frames, worked out from the config. */
import type { PlaybackRequest } from '@voxbus/alsa';
import type { PlaybackConfig } from './config.js';

export function playbackRequest(config: PlaybackConfig): PlaybackRequest {
  const periodFrames = Math.max(16, Math.round((config.periodMs * config.sampleRateHz) / 1000));
  return {
    device: config.device,
    sampleRateHz: config.sampleRateHz,
    channels: config.channels,
    periodFrames,
    bufferFrames: periodFrames * config.bufferPeriods,
    ringFrames: Math.round((config.ringMs * config.sampleRateHz) / 1000),
    fadeFrames: Math.max(1, Math.round((config.fadeMs * config.sampleRateHz) / 1000)),
    // Silence is said as often as the reference's frames go out.
    silenceReportMs: config.playedFrameMs,
    realtimePriority: config.realtimePriority,
  };
}
