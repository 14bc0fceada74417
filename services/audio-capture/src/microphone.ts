import { type AudioBackend, AudioDeviceError, type AudioPeriod, type CaptureStream } from '@voxbus/alsa';
import type { AudioFrame, Clock, Logger, MetricsRegistry, Payload, TimerHandle } from '@voxbus/shared';
import type { CaptureConfig } from './config.js';
import { FrameAssembler } from './frame-assembler.js';

export type CaptureStatePayload = Payload<'capture.state'>;

export interface MicrophoneDeps {
  readonly backend: AudioBackend;
  readonly clock: Clock;
  readonly log: Logger;
  readonly metrics: MetricsRegistry;
  readonly publishFrame: (frame: AudioFrame) => void;
  readonly publishState: (state: CaptureStatePayload) => void;
}

/**
 * The microphone's life: open the device, turn its periods into frames, mute and unmute, and
 * when the device fails (missing at start, unplugged later) report it once, keep a retained
 * error state, and retry with backoff until it is back. Knows nothing of MQTT.
 */
export class Microphone {
  private stream: CaptureStream | undefined;
  private assembler: FrameAssembler | undefined;
  private muted: boolean;
  private state: CaptureStatePayload['state'] = 'opening';
  private lastError: AudioDeviceError | undefined;
  private retryTimer: TimerHandle | undefined;
  private backoffMs: number;
  private stopped = false;
  private nextSequence = 0;
  /** Counts from streams already closed, so the gauges survive a reopen. */
  private closedXruns = 0;
  private readonly published;
  private readonly lost;
  private readonly deviceErrors;
  private readonly reopens;

  constructor(
    private readonly config: CaptureConfig,
    private readonly deps: MicrophoneDeps,
  ) {
    this.muted = config.startMuted;
    this.backoffMs = config.reopenInitialMs;
    const { metrics } = deps;
    this.published = metrics.counter('frames.published');
    this.lost = metrics.counter('frames.lostFrames');
    this.deviceErrors = metrics.counter('device.errors');
    this.reopens = metrics.counter('device.reopens');
    metrics.gauge('device.xruns', () => this.closedXruns + (this.stream?.stats().xruns ?? 0));
    metrics.gauge('device.delayFrames', () => this.stream?.stats().delayFrames ?? 0);
  }

  start(): void {
    this.publish('opening');
    void this.open();
  }

  mute(): void {
    if (this.muted) return;
    this.muted = true;
    this.assembler?.reset();
    if (this.stream !== undefined) this.publish('muted');
    this.deps.log.info('microphone muted');
  }

  unmute(): void {
    if (!this.muted) return;
    this.muted = false;
    if (this.stream !== undefined) this.publish('capturing');
    this.deps.log.info('microphone unmuted');
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.retryTimer?.cancel();
    await this.closeStream();
    this.publish('stopped');
  }

  private async open(): Promise<void> {
    const { config, deps } = this;
    const periodFrames = Math.max(16, Math.round((config.periodMs * config.sampleRateHz) / 1000));
    try {
      const stream = await deps.backend.openCapture(
        {
          device: config.device,
          sampleRateHz: config.sampleRateHz,
          channels: config.channels,
          periodFrames,
          bufferFrames: periodFrames * config.bufferPeriods,
          realtimePriority: config.realtimePriority,
        },
        { onPeriod: (period) => this.onPeriod(period), onError: (error) => void this.fail(error) },
      );
      if (this.stopped) {
        await stream.close();
        return;
      }
      this.stream = stream;
      const { granted } = stream;
      this.assembler = new FrameAssembler(granted, Math.round((config.frameMs * granted.sampleRateHz) / 1000), this.nextSequence);
      if (this.lastError !== undefined) {
        this.reopens.inc();
        deps.log.info({ device: config.device }, 'microphone is back');
      }
      this.lastError = undefined;
      deps.log.info({ granted, realtime: stream.stats().realtime }, 'microphone open');
      this.publish(this.muted ? 'muted' : 'capturing');
    } catch (error) {
      // Anything else (the addon missing, say) is still a device that cannot be used: report and retry.
      await this.fail(error instanceof AudioDeviceError ? error : new AudioDeviceError('device_error', config.device, String(error)));
    }
  }

  private onPeriod(period: AudioPeriod): void {
    // The device delivering again is what proves a reopen worked: only then forget the backoff.
    this.backoffMs = this.config.reopenInitialMs;
    if (period.lostFramesBefore > 0) this.lost.inc(period.lostFramesBefore);
    const assembler = this.assembler;
    if (assembler === undefined) return;
    if (this.muted) {
      assembler.reset();
      return;
    }
    for (const frame of assembler.push(period)) {
      this.deps.publishFrame(frame);
      this.published.inc();
    }
  }

  private async fail(error: AudioDeviceError): Promise<void> {
    if (this.stopped) return;
    this.deviceErrors.inc();
    // One clear line when the problem starts or changes, not one per retry.
    if (this.lastError === undefined || this.lastError.code !== error.code) {
      this.deps.log.error({ device: this.config.device, code: error.code, retryInMs: this.backoffMs }, `microphone: ${error.message}`);
    } else {
      this.deps.log.debug({ code: error.code, retryInMs: this.backoffMs }, 'microphone still unavailable');
    }
    this.lastError = error;
    await this.closeStream();
    this.publish('error', this.backoffMs);
    this.retryTimer = this.deps.clock.setTimer('microphone reopen', this.backoffMs, () => void this.open());
    this.backoffMs = Math.min(this.backoffMs * 2, this.config.reopenMaxMs);
  }

  private async closeStream(): Promise<void> {
    const stream = this.stream;
    if (stream === undefined) return;
    this.stream = undefined;
    this.nextSequence = this.assembler?.sequence ?? this.nextSequence;
    this.assembler = undefined;
    this.closedXruns += stream.stats().xruns;
    await stream.close();
  }

  private publish(state: CaptureStatePayload['state'], retryInMs: number | null = null): void {
    this.state = state;
    const granted = this.stream?.granted ?? null;
    this.deps.publishState({
      state,
      device: this.config.device,
      granted,
      error: state === 'error' && this.lastError !== undefined ? { code: this.lastError.code, message: this.lastError.message } : null,
      retryInMs,
      sinceMs: this.deps.clock.nowMs(),
    });
  }

  get currentState(): CaptureStatePayload['state'] {
    return this.state;
  }
}
