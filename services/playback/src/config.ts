import { type Static, Type } from '@sinclair/typebox';

export const PlaybackConfigSchema = Type.Object(
  {
    device: Type.String({ minLength: 1, description: 'ALSA PCM name: default, plughw:1,0, hw:CARD=Device,DEV=0, …' }),
    sampleRateHz: Type.Integer({ minimum: 8000, maximum: 192_000, description: 'asked for; audio is resampled to what the device grants' }),
    channels: Type.Integer({ minimum: 1, maximum: 8, description: 'asked for; mono assistant audio is upmixed to what the device grants' }),
    periodMs: Type.Integer({ minimum: 2, maximum: 100, description: 'ALSA period: the granularity of flush, fades and position' }),
    bufferPeriods: Type.Integer({ minimum: 2, maximum: 32, description: 'device buffer in periods: the latency, and the headroom against underruns' }),
    jitterMs: Type.Integer({ minimum: 0, maximum: 2000, description: 'audio a reply gathers before it plays, at first (0: at once, as the model streams faster than real time); the jitter buffer learns from there' }),
    jitterMaxMs: Type.Integer({ minimum: 0, maximum: 2000, description: 'the most the jitter buffer grows to' }),
    jitterGrowMs: Type.Integer({ minimum: 0, maximum: 1000, description: 'added to the jitter buffer each time an item runs dry while more of it is still to come' }),
    jitterShrinkMs: Type.Integer({ minimum: 0, maximum: 1000, description: 'taken off the jitter buffer (down to jitterMs) by each reply that plays without running dry' }),
    ringMs: Type.Integer({ minimum: 50, maximum: 5000, description: 'audio handed to the audio thread ahead of the speaker' }),
    maxQueueMs: Type.Integer({ minimum: 1000, description: 'audio waiting beyond the ring; more than this is dropped and counted' }),
    fadeMs: Type.Number({ minimum: 0.1, maximum: 50, description: 'fade at starts, flushes and wherever the audio runs out' }),
    volume: Type.Number({ minimum: 0, maximum: 4, description: 'initial linear gain' }),
    positionIntervalMs: Type.Integer({ minimum: 10, maximum: 1000, description: 'how often at most a playing item reports its position (started, drained and flushed are said within 100 ms)' }),
    playedFrameMs: Type.Integer({ minimum: 10, maximum: 100, multipleOf: 10, description: "duration of each audio/played frame (the echo reference), silence included: the dsp holds each microphone chunk until the reference 30 ms past it has come, so a longer frame can make the microphone's audio wait for it (10 ms measured no sooner end to end on the virtual board, for twice the messages)" }),
    resampleQuality: Type.Integer({ minimum: 0, maximum: 10, description: 'speexdsp quality, 0–10' }),
    realtimePriority: Type.Integer({ minimum: 0, maximum: 99, description: 'SCHED_FIFO priority of the playback thread; 0: normal' }),
    nice: Type.Integer({ minimum: -20, maximum: 19, description: "niceness of the service's threads once its device is open (-20..19; PulseAudio runs at -11): a busy board starves the audio last. Below 0 needs root or CAP_SYS_NICE; refused, it runs on as it was and says so once" }),
    reopenInitialMs: Type.Integer({ minimum: 50 }),
    reopenMaxMs: Type.Integer({ minimum: 100 }),
  },
  { additionalProperties: false },
);

export type PlaybackConfig = Static<typeof PlaybackConfigSchema>;

export const PLAYBACK_DEFAULTS: PlaybackConfig = {
  device: 'default',
  sampleRateHz: 48_000,
  channels: 2,
  periodMs: 10,
  bufferPeriods: 3,
  jitterMs: 0,
  jitterMaxMs: 300,
  jitterGrowMs: 40,
  jitterShrinkMs: 10,
  ringMs: 400,
  maxQueueMs: 180_000,
  fadeMs: 5,
  volume: 1,
  positionIntervalMs: 200,
  playedFrameMs: 20,
  resampleQuality: 5,
  realtimePriority: 0,
  nice: -10,
  reopenInitialMs: 500,
  reopenMaxMs: 10_000,
};
