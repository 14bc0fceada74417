import { type AudioBackend, AudioThreadsNice, DeviceSupervisor, type GrantedFormat, type PlaybackStream, type PlayedPeriod } from '@voxbus/alsa';
import { type AudioFrame, type Clock, type TimerHandle, earconItemId, type Logger, type MetricsRegistry, type Payload, pcmAsS16le } from '@voxbus/shared';
import type { PlaybackConfig } from './config.js';
import { playbackRequest } from './device-request.js';
import { type EarconName, synthesizeEarcon } from './earcons.js';
import { FormatConverter } from './format-converter.js';
import { ItemReports, type PlaybackItemPayload } from './item-reports.js';
import { ItemBook, receiveFrame } from './items.js';
import { PlayQueue } from './play-queue.js';
import { PlayedReference } from './played-reference.js';

export type PlaybackStatePayload = Payload<'playback.state'>;
export type { PlaybackItemPayload };

export interface SpeakerDeps {
  readonly backend: AudioBackend;
  readonly clock: Clock;
  readonly log: Logger;
  readonly metrics: MetricsRegistry;
  readonly publishState: (state: PlaybackStatePayload) => void;
  readonly publishItem: (event: PlaybackItemPayload) => void;
  readonly publishPlayed: (frame: AudioFrame) => void;
}

/**
 * The speaker: plays assistant audio as it arrives, behind a jitter buffer that learns its depth,
 * converted to the device's format; keeps the device open and fed between replies; flushes
 * at once; reports per item what was actually heard; and says what it played (the echo
 * reference). Knows nothing of MQTT.
 */
export class Speaker {
  private readonly device: DeviceSupervisor<PlaybackStream>;
  private granted: GrantedFormat | undefined;
  private readonly items = new ItemBook();
  private readonly queue: PlayQueue;
  private readonly reports: ItemReports;
  private volume: number;
  /** The assistant muted: everything plays on (positions and drains as usual) at zero gain. */
  private muted = false;
  /** A pause holds the sound (a voice started over the reply); it ends by resume, flush or this timer. */
  private pauseTimer: TimerHandle | undefined;
  private readonly reference: PlayedReference;
  private state: PlaybackStatePayload['state'] = 'opening';
  /** When the current state was entered (wall clock, ms). */
  private stateSinceMs: number | undefined;
  private closedXruns = 0;
  private readonly counters;
  private readonly niceness: AudioThreadsNice;

  constructor(
    private readonly config: PlaybackConfig,
    private readonly deps: SpeakerDeps,
  ) {
    this.volume = config.volume;
    const { metrics, log } = deps;
    this.niceness = new AudioThreadsNice(deps.backend, config.nice, (message) => log.info(`speaker: ${message}`));
    this.counters = {
      framesPlayed: metrics.counter('frames.received'),
      droppedAfterFlush: metrics.counter('frames.droppedAfterFlush'),
      droppedNoDevice: metrics.counter('frames.droppedNoDevice'),
      droppedQueueFull: metrics.counter('frames.droppedQueueFull'),
      duplicate: metrics.counter('frames.duplicate'),
      gapFrames: metrics.counter('frames.gapFillFrames'),
      formatChanged: metrics.counter('frames.formatChanged'),
      flushes: metrics.counter('flushes'),
      pauses: metrics.counter('pauses'),
      pausesExpired: metrics.counter('pauses.expired'),
      earcons: metrics.counter('earcons'),
      deviceErrors: metrics.counter('device.errors'),
      reopens: metrics.counter('device.reopens'),
    };
    const stream = () => this.device.current;
    const granted = () => this.granted;
    this.queue = new PlayQueue({
      config,
      clock: deps.clock,
      items: this.items,
      stream,
      granted,
      droppedQueueFull: this.counters.droppedQueueFull,
      underruns: metrics.counter('jitter.underruns'),
      pumped: () => {
        if (this.state !== 'playing') this.publishState('playing');
        this.reports.ensurePositionTimer();
      },
    });
    this.reports = new ItemReports({
      config,
      clock: deps.clock,
      items: this.items,
      queue: this.queue,
      stream,
      granted,
      publishItem: deps.publishItem,
      idle: () => {
        if (this.state === 'playing') this.publishState('idle');
      },
    });
    this.reference = new PlayedReference(config, deps.publishPlayed);
    metrics.gauge('queue.frames', () => this.queue.frames);
    metrics.gauge('jitter.depthMs', () => this.queue.jitter.depthMs);
    metrics.gauge('device.xruns', () => this.closedXruns + (this.device.current?.stats().xruns ?? 0));
    metrics.gauge('device.delayFrames', () => this.device.current?.stats().delayFrames ?? 0);
    metrics.gauge('device.silenceFrames', () => this.device.current?.stats().silenceFrames ?? 0);
    this.device = new DeviceSupervisor<PlaybackStream>({
      role: 'speaker',
      device: config.device,
      clock: deps.clock,
      reopenInitialMs: config.reopenInitialMs,
      reopenMaxMs: config.reopenMaxMs,
      open: () => this.open(),
      opened: (stream, recovered) => {
        this.granted = stream.granted;
        this.reference.opened(stream.granted);
        this.queue.opened();
        stream.setGain(this.gain());
        // A device lost mid-pause lost what the pause held: the new one starts unpaused.
        this.endPause();
        if (recovered) this.counters.reopens.inc();
        // Its threads exist now (the audio one, the sound server's client): raised before it is said open.
        const nice = this.niceness.apply();
        log.info({ granted: stream.granted, realtime: stream.stats().realtime, nice, recovered }, 'speaker open');
        this.publishState('idle');
      },
      failed: (error, retryInMs, changed) => {
        this.counters.deviceErrors.inc();
        if (changed) log.error({ device: config.device, code: error.code, retryInMs }, `speaker: ${error.message}`);
        else log.debug({ code: error.code, retryInMs }, 'speaker still unavailable');
        this.publishState('error', retryInMs);
      },
    });
  }

  start(): void {
    this.publishState('opening');
    this.device.start();
  }

  async stop(): Promise<void> {
    this.pauseTimer?.cancel();
    this.queue.stop();
    this.reports.stop();
    await this.device.stop();
    this.publishState('stopped');
  }

  /** A frame of assistant audio (audio/output): play it as soon as the jitter buffer allows. */
  play(frame: AudioFrame): void {
    const tag = frame.item;
    if (tag === undefined) return; // the contract requires the tag; the bus has already refused frames without it
    if (this.items.wasFlushed(tag.itemId, tag.responseId)) {
      this.counters.droppedAfterFlush.inc();
      return;
    }
    const granted = this.granted;
    if (granted === undefined || this.device.current === undefined) {
      this.counters.droppedNoDevice.inc();
      return;
    }
    const item = this.items.get(tag.itemId, tag.responseId, this.granted?.sampleRateHz);
    if (item.converter === undefined) {
      item.converter = new FormatConverter(frame.sampleRateHz, frame.channels, granted, this.config.resampleQuality);
      item.sourceRateHz = frame.sampleRateHz;
    } else if (item.converter.sourceRateHz !== frame.sampleRateHz || item.converter.sourceChannels !== frame.channels) {
      this.counters.formatChanged.inc();
      this.deps.log.warn({ itemId: tag.itemId }, 'an item changed its audio format mid-stream; frame dropped');
      return;
    }
    this.counters.framesPlayed.inc();
    // The device path is s16 throughout: other formats the contract allows are converted here.
    const s16 = frame.sampleFormat === 's16le' ? frame : { ...frame, sampleFormat: 's16le' as const, pcm: pcmAsS16le(frame) };
    receiveFrame(item, item.converter, s16, tag.sampleOffset, this.counters, (pcm) => this.queue.enqueue(item, pcm));
  }

  /** Silence now: the audio thread fades out within a period; every queue is emptied. */
  flush(): void {
    this.counters.flushes.inc();
    this.queue.flush();
    const stream = this.device.current;
    stream?.flush();
    // After the flush, never before: the audio thread sees the flush first (native/alsa's engine
    // orders the two), so nothing held by the pause sounds on the way out.
    this.endPause();
    if (stream !== undefined) this.reports.flushAsked(stream);
    this.items.flushLive();
    if (stream === undefined) this.reports.finishFlush(0);
    else this.reports.ensurePositionTimer();
  }

  /**
   * Holds the sound at once, losing none of it (a voice started over the reply, and the barge-in
   * guard has not decided yet): the audio thread fades out within a period and reads nothing more;
   * positions stand still. It goes on by `resume()`, or by itself after `forMs` in case whoever
   * paused it died; a flush ends it too. A pause while paused moves the deadline.
   */
  pause(forMs: number): void {
    this.counters.pauses.inc();
    this.pauseTimer?.cancel();
    this.pauseTimer = this.deps.clock.setTimer('pause', forMs, () => {
      this.counters.pausesExpired.inc();
      this.deps.log.warn({ forMs }, 'a pause ran out without a resume or a flush: playing on');
      this.endPause();
    });
    this.device.current?.pause(true);
  }

  /** The pause is over (the barge-in guard turned the voice down): the sound fades back in where it stopped. */
  resume(): void {
    this.endPause();
  }

  private endPause(): void {
    if (this.pauseTimer === undefined) return;
    this.pauseTimer.cancel();
    this.pauseTimer = undefined;
    this.device.current?.pause(false);
  }

  setVolume(volume: number): void {
    this.volume = volume;
    this.device.current?.setGain(this.gain());
    this.publishState(this.state);
  }

  /**
   * Mutes or unmutes the speaker. Playback goes on silently, so items still start, report
   * their position and drain on time (the conversation's turns do not change), and the echo
   * reference says silence.
   */
  setMuted(muted: boolean): void {
    if (this.muted === muted) return;
    this.muted = muted;
    this.device.current?.setGain(this.gain());
    this.deps.log.info({ muted }, muted ? 'speaker muted' : 'speaker unmuted');
    this.publishState(this.state);
  }

  private gain(): number {
    return this.muted ? 0 : this.volume;
  }

  earcon(name: EarconName): void {
    const granted = this.granted;
    if (granted === undefined) {
      this.counters.droppedNoDevice.inc();
      return;
    }
    this.counters.earcons.inc();
    const item = this.items.get(earconItemId(name), '', this.granted?.sampleRateHz);
    this.queue.enqueue(item, synthesizeEarcon(name, granted.sampleRateHz, granted.channels));
  }

  private async open(): Promise<PlaybackStream> {
    const stream = await this.deps.backend.openPlayback(playbackRequest(this.config), {
      onPlayed: (period) => this.played(period),
      onSpace: () => this.queue.pump(),
      onError: (error) => {
        this.closedXruns += stream.stats().xruns;
        this.lose();
        void this.device.fail(error);
      },
    });
    return stream;
  }

  /** The device failed: what was queued or in flight is gone; items end as flushed at what was heard. */
  private lose(): void {
    const heard = this.device.current?.stats().contentHeardFrames ?? 0;
    this.queue.clear();
    this.granted = undefined;
    this.reference.lost();
    for (const item of this.items.live()) item.flushPending = true;
    this.reports.finishFlush(heard);
  }

  /** Everything that went to the speaker, silence included, while it is open: the echo reference for the dsp. */
  private played(period: PlayedPeriod): void {
    this.device.working();
    this.items.markEntered(period);
    this.reference.push(period);
  }

  private publishState(state: PlaybackStatePayload['state'], retryInMs: number | null = null): void {
    // sinceMs is when the state was entered: a volume or mute change republishes it unchanged.
    if (state !== this.state || this.stateSinceMs === undefined) this.stateSinceMs = this.deps.clock.nowMs();
    this.state = state;
    const error = this.device.error;
    this.deps.publishState({
      state,
      device: this.config.device,
      granted: this.device.current?.granted ?? null,
      error: state === 'error' && error !== undefined ? { code: error.code, message: error.message } : null,
      retryInMs,
      volume: this.volume,
      muted: this.muted,
      sinceMs: this.stateSinceMs,
    });
  }
}
