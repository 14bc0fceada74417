import { type AudioBackend, type AudioPeriod, AudioThreadsNice, type CaptureStream, DeviceSupervisor, FrameAssembler } from '@voxbus/alsa';
import type { AudioFrame, Clock, Logger, MetricsRegistry, Payload } from '@voxbus/shared';
import type { CaptureConfig } from './config.js';


export type CaptureStatePayload = Payload<'audio-capture.state'>;

export interface MicrophoneDeps {
  readonly backend: AudioBackend;
  readonly clock: Clock;
  readonly log: Logger;
  readonly metrics: MetricsRegistry;
  readonly publishFrame: (frame: AudioFrame) => void;
  readonly publishState: (state: CaptureStatePayload) => void;
}

/**
 * The microphone: turns the device's periods into frames, mutes and unmutes, and through its
 * DeviceSupervisor survives a device that is missing, busy or unplugged (one clear error, a
 * retained error state, retries with backoff). Knows nothing of MQTT.
 */
export class Microphone {
  private readonly device: DeviceSupervisor<CaptureStream>;
  private assembler: FrameAssembler | undefined;
  private muted: boolean;
  private nextSequence = 0;
  /** xruns of streams already closed, so the gauge survives a reopen. */
  private closedXruns = 0;
  private readonly published;
  private readonly lost;
  private readonly deviceErrors;
  private readonly reopens;
  private readonly niceness: AudioThreadsNice;

  constructor(
    private readonly config: CaptureConfig,
    private readonly deps: MicrophoneDeps,
  ) {
    this.muted = config.startMuted;
    const { metrics, log } = deps;
    this.niceness = new AudioThreadsNice(deps.backend, config.nice, (message) => log.info(`microphone: ${message}`));
    this.published = metrics.counter('frames.published');
    this.lost = metrics.counter('frames.lostFrames');
    this.deviceErrors = metrics.counter('device.errors');
    this.reopens = metrics.counter('device.reopens');
    metrics.gauge('device.xruns', () => this.closedXruns + (this.device.current?.stats().xruns ?? 0));
    metrics.gauge('device.delayFrames', () => this.device.current?.stats().delayFrames ?? 0);
    this.device = new DeviceSupervisor<CaptureStream>({
      role: 'microphone',
      device: config.device,
      clock: deps.clock,
      reopenInitialMs: config.reopenInitialMs,
      reopenMaxMs: config.reopenMaxMs,
      open: () => this.open(),
      opened: (stream, recovered) => {
        const { granted } = stream;
        this.assembler = new FrameAssembler(granted, Math.round((config.frameMs * granted.sampleRateHz) / 1000), this.nextSequence);
        if (recovered) this.reopens.inc();
        // Its threads exist now (the audio one, the sound server's client): raised before it is said open.
        const nice = this.niceness.apply();
        log.info({ granted, realtime: stream.stats().realtime, nice, recovered }, 'microphone open');
        this.publish(this.muted ? 'muted' : 'capturing');
      },
      failed: (error, retryInMs, changed) => {
        this.deviceErrors.inc();
        if (changed) log.error({ device: config.device, code: error.code, retryInMs }, `microphone: ${error.message}`);
        else log.debug({ code: error.code, retryInMs }, 'microphone still unavailable');
        this.publish('error', retryInMs);
      },
    });
  }

  start(): void {
    this.publish('opening');
    this.device.start();
  }

  mute(): void {
    if (this.muted) return;
    this.muted = true;
    this.assembler?.reset();
    if (this.device.current !== undefined) this.publish('muted');
    this.deps.log.info('microphone muted');
  }

  unmute(): void {
    if (!this.muted) return;
    this.muted = false;
    if (this.device.current !== undefined) this.publish('capturing');
    this.deps.log.info('microphone unmuted');
  }

  async stop(): Promise<void> {
    await this.device.stop();
    this.publish('stopped');
  }

  private async open(): Promise<CaptureStream> {
    const { config } = this;
    const periodFrames = Math.max(16, Math.round((config.periodMs * config.sampleRateHz) / 1000));
    const stream = await this.deps.backend.openCapture(
      {
        device: config.device,
        sampleRateHz: config.sampleRateHz,
        channels: config.channels,
        periodFrames,
        bufferFrames: periodFrames * config.bufferPeriods,
        realtimePriority: config.realtimePriority,
      },
      {
        onPeriod: (period) => this.onPeriod(period),
        onError: (error) => {
          this.closedXruns += stream.stats().xruns;
          this.nextSequence = this.assembler?.sequence ?? this.nextSequence;
          this.assembler = undefined;
          void this.device.fail(error);
        },
      },
    );
    return stream;
  }

  private onPeriod(period: AudioPeriod): void {
    this.device.working();
    if (period.lostFramesBefore > 0) this.lost.inc(period.lostFramesBefore);
    const assembler = this.assembler;
    if (assembler === undefined) return;
    if (this.muted) {
      assembler.discard(period);
      return;
    }
    for (const frame of assembler.push(period)) {
      this.deps.publishFrame(frame);
      this.published.inc();
    }
  }

  private publish(state: CaptureStatePayload['state'], retryInMs: number | null = null): void {
    const error = this.device.error;
    this.deps.publishState({
      state,
      device: this.config.device,
      granted: this.device.current?.granted ?? null,
      error: state === 'error' && error !== undefined ? { code: error.code, message: error.message } : null,
      retryInMs,
      sinceMs: this.deps.clock.nowMs(),
    });
  }
}
