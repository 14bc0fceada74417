import { type Static, Type } from '@sinclair/typebox';

export const CaptureConfigSchema = Type.Object(
  {
    device: Type.String({ minLength: 1, description: 'ALSA PCM name: default, plughw:1,0, hw:CARD=Device,DEV=0, …' }),
    sampleRateHz: Type.Integer({ minimum: 8000, maximum: 192_000, description: 'asked for; frames carry what the device granted' }),
    channels: Type.Integer({ minimum: 1, maximum: 8, description: 'asked for; a stereo-only device grants 2 and the dsp downmixes' }),
    periodMs: Type.Integer({ minimum: 2, maximum: 100, description: 'ALSA period: how often the device hands audio over' }),
    bufferPeriods: Type.Integer({ minimum: 2, maximum: 32, description: 'device buffer, in periods: headroom before an overrun' }),
    frameMs: Type.Integer({ minimum: 5, maximum: 200, description: 'duration of each frame published on audio/mic' }),
    realtimePriority: Type.Integer({ minimum: 0, maximum: 99, description: 'SCHED_FIFO priority of the capture thread; 0: normal' }),
    nice: Type.Integer({ minimum: -20, maximum: 19, description: "niceness of the service's threads once its device is open (-20..19; PulseAudio runs at -11): a busy board starves the audio last. Below 0 needs root or CAP_SYS_NICE; refused, it runs on as it was and says so once" }),
    startMuted: Type.Boolean(),
    reopenInitialMs: Type.Integer({ minimum: 50, description: 'first retry after a device error; doubles each failure' }),
    reopenMaxMs: Type.Integer({ minimum: 100, description: 'longest wait between retries' }),
  },
  { additionalProperties: false },
);

export type CaptureConfig = Static<typeof CaptureConfigSchema>;

export const CAPTURE_DEFAULTS: CaptureConfig = {
  device: 'default',
  sampleRateHz: 48_000,
  channels: 1,
  periodMs: 10,
  bufferPeriods: 4,
  frameMs: 20,
  realtimePriority: 0,
  nice: -10,
  startMuted: false,
  reopenInitialMs: 500,
  reopenMaxMs: 10_000,
};
