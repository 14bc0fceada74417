import { type AudioBackend, DeviceSupervisor, FrameAssembler, type GrantedFormat, type PlaybackStream, type PlayedPeriod } from '@voxbus/alsa';
import type { AudioFrame, Clock, Logger, MetricsRegistry, Payload, TimerHandle } from '@voxbus/shared';
import type { PlaybackConfig } from './config.js';
import { type EarconName, synthesizeEarcon } from './earcons.js';
import { FormatConverter } from './format-converter.js';

export type PlaybackStatePayload = Payload<'playback.state'>;
export type PlaybackItemPayload = Payload<'playback.event.item'>;

export interface SpeakerDeps {
  readonly backend: AudioBackend;
  readonly clock: Clock;
  readonly log: Logger;
  readonly metrics: MetricsRegistry;
  readonly publishState: (state: PlaybackStatePayload) => void;
  readonly publishItem: (event: PlaybackItemPayload) => void;
  readonly publishPlayed: (frame: AudioFrame) => void;
}

/** One thing being played: an assistant audio item, or an earcon. Positions are device content frames. */
interface Item {
  readonly itemId: string;
  readonly responseId: string;
  converter: FormatConverter | undefined;
  /** The source offset (per channel) the next frame should start at. */
  nextSourceOffset: number;
  receivedSourceFrames: number;
  sourceRateHz: number;
  /** Where its first frame entered the ring, once it has. */
  startFrame: number | undefined;
  /** When its first sample was written into the device, once it has been. */
  enteredDeviceUs: number | null;
  /** Where its last written frame ends in the ring. */
  endFrame: number;
  /** Frames still waiting in the queue for room in the ring. */
  queuedFrames: number;
  started: boolean;
  /** Waiting for the audio thread to say where the flush cut. */
  flushPending: boolean;
}

/** Items remembered after they finish, so a late frame is recognised (not replayed as new). */
const REMEMBERED_ITEMS = 64;
/** A gap in an item's offsets up to this long is filled with silence; longer is a new start. */
const MAX_GAP_FILL_MS = 1000;

/**
 * The speaker: plays assistant audio as it arrives, behind a jitter buffer of `jitterMs`,
 * converted to the device's format; keeps the device open and fed between replies; flushes
 * at once; reports per item what was actually heard; and says what it played (the echo
 * reference). Knows nothing of MQTT.
 */
export class Speaker {
  private readonly device: DeviceSupervisor<PlaybackStream>;
  private granted: GrantedFormat | undefined;
  private readonly items = new Map<string, Item>();
  /** Items flushed recently: frames still arriving for them are dropped, not played. */
  private readonly flushedIds = new Set<string>();
  private queue: { item: Item; pcm: Buffer }[] = [];
  private queuedFrames = 0;
  private writtenFrames = 0;
  private holding = false;
  private holdTimer: TimerHandle | undefined;
  private positionTimer: TimerHandle | undefined;
  private flushesAsked = 0;
  private volume: number;
  /** The assistant muted: everything plays on (positions and drains as usual) at zero gain. */
  private muted = false;
  /** What was played, as audio/played frames of `playedFrameMs` (its sequence runs on across reopens). */
  private playedFrames: FrameAssembler | undefined;
  private playedSequence = 0;
  private state: PlaybackStatePayload['state'] = 'opening';
  private closedXruns = 0;
  private readonly counters;

  constructor(
    private readonly config: PlaybackConfig,
    private readonly deps: SpeakerDeps,
  ) {
    this.volume = config.volume;
    const { metrics, log } = deps;
    this.counters = {
      framesPlayed: metrics.counter('frames.received'),
      droppedAfterFlush: metrics.counter('frames.droppedAfterFlush'),
      droppedNoDevice: metrics.counter('frames.droppedNoDevice'),
      droppedQueueFull: metrics.counter('frames.droppedQueueFull'),
      duplicate: metrics.counter('frames.duplicate'),
      gapFrames: metrics.counter('frames.gapFillFrames'),
      formatChanged: metrics.counter('frames.formatChanged'),
      flushes: metrics.counter('flushes'),
      earcons: metrics.counter('earcons'),
      deviceErrors: metrics.counter('device.errors'),
      reopens: metrics.counter('device.reopens'),
    };
    metrics.gauge('queue.frames', () => this.queuedFrames);
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
        this.playedFrames = new FrameAssembler(stream.granted, Math.round((config.playedFrameMs * stream.granted.sampleRateHz) / 1000), this.playedSequence);
        this.writtenFrames = 0;
        stream.setGain(this.gain());
        if (recovered) this.counters.reopens.inc();
        log.info({ granted: stream.granted, realtime: stream.stats().realtime, recovered }, 'speaker open');
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
    this.holdTimer?.cancel();
    this.positionTimer?.cancel();
    await this.device.stop();
    this.publishState('stopped');
  }

  /** A frame of assistant audio (audio/output): play it as soon as the jitter buffer allows. */
  play(frame: AudioFrame): void {
    const tag = frame.item;
    if (tag === undefined) return; // the contract requires the tag; the bus has already refused frames without it
    if (this.flushedIds.has(tag.itemId)) {
      this.counters.droppedAfterFlush.inc();
      return;
    }
    const granted = this.granted;
    if (granted === undefined || this.device.current === undefined) {
      this.counters.droppedNoDevice.inc();
      return;
    }
    const item = this.item(tag.itemId, tag.responseId);
    if (item.converter === undefined) {
      item.converter = new FormatConverter(frame.sampleRateHz, frame.channels, granted, this.config.resampleQuality);
      item.sourceRateHz = frame.sampleRateHz;
    } else if (item.converter.sourceRateHz !== frame.sampleRateHz || item.converter.sourceChannels !== frame.channels) {
      this.counters.formatChanged.inc();
      this.deps.log.warn({ itemId: tag.itemId }, 'an item changed its audio format mid-stream; frame dropped');
      return;
    }
    this.counters.framesPlayed.inc();
    const frameBytes = frame.channels * 2;
    let pcm = frame.pcm;
    const offset = tag.sampleOffset;
    if (offset < item.nextSourceOffset) {
      // Overlaps what was already received (a resend): keep only what is new.
      const overlapBytes = (item.nextSourceOffset - offset) * frameBytes;
      if (overlapBytes >= pcm.length) {
        this.counters.duplicate.inc();
        return;
      }
      pcm = pcm.subarray(overlapBytes);
    } else if (offset > item.nextSourceOffset && item.receivedSourceFrames > 0) {
      // Frames went missing: keep the timing by putting silence where they were.
      const gapFrames = offset - item.nextSourceOffset;
      if (gapFrames <= (MAX_GAP_FILL_MS * frame.sampleRateHz) / 1000) {
        this.counters.gapFrames.inc(gapFrames);
        this.enqueue(item, item.converter.convert(Buffer.alloc(gapFrames * frameBytes)));
      }
    }
    const sourceFrames = pcm.length / frameBytes;
    item.nextSourceOffset = Math.max(item.nextSourceOffset, offset) + sourceFrames;
    item.receivedSourceFrames += sourceFrames;
    this.enqueue(item, item.converter.convert(pcm));
  }

  /** Silence now: the audio thread fades out within a period; every queue is emptied. */
  flush(): void {
    this.counters.flushes.inc();
    this.holdTimer?.cancel();
    this.holding = false;
    this.queue = [];
    this.queuedFrames = 0;
    const stream = this.device.current;
    stream?.flush();
    if (stream !== undefined) this.flushesAsked = stream.stats().flushesDone + 1;
    for (const item of this.liveItems()) {
      item.flushPending = true;
      item.queuedFrames = 0;
      this.flushedIds.add(item.itemId);
    }
    while (this.flushedIds.size > REMEMBERED_ITEMS) this.flushedIds.delete(this.flushedIds.values().next().value as string);
    if (stream === undefined) this.finishFlush(0);
    else this.ensurePositionTimer();
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
    const item = this.item(`earcon:${name}`, '');
    this.enqueue(item, synthesizeEarcon(name, granted.sampleRateHz, granted.channels));
  }

  private async open(): Promise<PlaybackStream> {
    const { config } = this;
    const periodFrames = Math.max(16, Math.round((config.periodMs * config.sampleRateHz) / 1000));
    const stream = await this.deps.backend.openPlayback(
      {
        device: config.device,
        sampleRateHz: config.sampleRateHz,
        channels: config.channels,
        periodFrames,
        bufferFrames: periodFrames * config.bufferPeriods,
        ringFrames: Math.round((config.ringMs * config.sampleRateHz) / 1000),
        fadeFrames: Math.max(1, Math.round((config.fadeMs * config.sampleRateHz) / 1000)),
        realtimePriority: config.realtimePriority,
      },
      {
        onPlayed: (period) => this.played(period),
        onSpace: () => this.pump(),
        onError: (error) => {
          this.closedXruns += stream.stats().xruns;
          this.lose();
          void this.device.fail(error);
        },
      },
    );
    return stream;
  }

  /** The device failed: what was queued or in flight is gone; items end as flushed at what was heard. */
  private lose(): void {
    const heard = this.device.current?.stats().contentHeardFrames ?? 0;
    this.queue = [];
    this.queuedFrames = 0;
    this.granted = undefined;
    this.playedFrames = undefined;
    for (const item of this.liveItems()) item.flushPending = true;
    this.finishFlush(heard);
  }

  private item(itemId: string, responseId: string): Item {
    let item = this.items.get(itemId);
    if (item === undefined) {
      item = {
        itemId,
        responseId,
        converter: undefined,
        nextSourceOffset: 0,
        receivedSourceFrames: 0,
        sourceRateHz: this.granted?.sampleRateHz ?? 24_000,
        startFrame: undefined,
        enteredDeviceUs: null,
        endFrame: 0,
        queuedFrames: 0,
        started: false,
        flushPending: false,
      };
      this.items.set(itemId, item);
      // Forget the oldest finished items (Map keeps insertion order).
      for (const [id, old] of this.items) {
        if (this.items.size <= REMEMBERED_ITEMS) break;
        if (!this.isLive(old)) this.items.delete(id);
      }
    }
    return item;
  }

  /** Queued, in the ring or in the device and not yet reported finished, or awaiting its flush cut. */
  private isLive(item: Item): boolean {
    return item.startFrame !== undefined || item.queuedFrames > 0 || item.flushPending;
  }

  private liveItems(): Item[] {
    return [...this.items.values()].filter((item) => this.isLive(item));
  }

  private enqueue(item: Item, pcm: Buffer): void {
    const granted = this.granted as GrantedFormat;
    const frames = pcm.length / (granted.channels * 2);
    if (frames === 0) return;
    if (this.queuedFrames + frames > (this.config.maxQueueMs * granted.sampleRateHz) / 1000) {
      this.counters.droppedQueueFull.inc();
      return;
    }
    const idle = this.liveItems().length === 0;
    this.queue.push({ item, pcm });
    this.queuedFrames += frames;
    item.queuedFrames += frames;
    if (idle && this.config.jitterMs > 0) {
      // Gather jitterMs before starting, so a network burst and gap does not stutter.
      this.holding = true;
      this.holdTimer?.cancel();
      this.holdTimer = this.deps.clock.setTimer('jitter buffer', this.config.jitterMs, () => {
        this.holding = false;
        this.pump();
      });
    }
    if (this.holding && this.queuedFrames >= (this.config.jitterMs * granted.sampleRateHz) / 1000) {
      this.holding = false;
      this.holdTimer?.cancel();
    }
    this.pump();
  }

  /** Moves queued audio into the ring as far as it has room. */
  private pump(): void {
    const stream = this.device.current;
    if (stream === undefined || this.holding || this.queue.length === 0) return;
    const frameBytes = (this.granted as GrantedFormat).channels * 2;
    while (this.queue.length > 0) {
      const head = this.queue[0] as { item: Item; pcm: Buffer };
      if (head.item.startFrame === undefined) {
        head.item.startFrame = this.writtenFrames;
        head.item.enteredDeviceUs = null;
      }
      const taken = stream.write(head.pcm);
      this.writtenFrames += taken;
      this.queuedFrames -= taken;
      head.item.queuedFrames -= taken;
      head.item.endFrame = this.writtenFrames;
      if (taken * frameBytes < head.pcm.length) {
        head.pcm = head.pcm.subarray(taken * frameBytes);
        break;
      }
      this.queue.shift();
    }
    if (this.state !== 'playing') this.publishState('playing');
    this.ensurePositionTimer();
  }

  private ensurePositionTimer(): void {
    if (this.positionTimer !== undefined) return;
    this.positionTimer = this.deps.clock.setRepeating('item positions', this.config.positionIntervalMs, () => this.report());
  }

  /** Where the speaker is: started / position / drained per item, and flush cuts once known. */
  private report(): void {
    const stream = this.device.current;
    if (stream === undefined) return;
    const stats = stream.stats();
    if (stats.flushesDone >= this.flushesAsked) this.finishFlush(stats.lastCutFrames);
    const heard = stats.contentHeardFrames;
    const playing = [...this.items.values()].filter((item) => item.startFrame !== undefined && !item.flushPending);
    for (const item of playing) {
      const start = item.startFrame as number;
      if (heard <= start) continue;
      if (!item.started) {
        item.started = true;
        this.publishItem(item, 'started', heard);
      }
      if (heard < item.endFrame || item.queuedFrames > 0) {
        this.publishItem(item, 'position', heard);
        continue;
      }
      // Fully heard. Drained if nothing else is waiting to play after it.
      const more = this.queue.length > 0 || playing.some((other) => other !== item && other.endFrame > heard);
      this.publishItem(item, more ? 'position' : 'drained', heard);
      // It stays remembered (a late frame continues it), but is no longer reported.
      item.startFrame = undefined;
      item.endFrame = 0;
      item.started = false;
    }
    if (this.liveItems().length === 0) {
      this.positionTimer?.cancel();
      this.positionTimer = undefined;
      if (this.state === 'playing') this.publishState('idle');
    }
  }

  /** Flushed items end here: heard up to the cut (what was in the device still plays out). */
  private finishFlush(cutFrames: number): void {
    for (const item of this.items.values()) {
      if (!item.flushPending) continue;
      item.flushPending = false;
      if (item.startFrame !== undefined) this.publishItem(item, 'flushed', Math.min(cutFrames, item.endFrame));
      else this.publishItem(item, 'flushed', 0, 0);
      item.startFrame = undefined;
      item.endFrame = 0;
      item.started = false;
      item.queuedFrames = 0;
    }
  }

  private publishItem(item: Item, kind: PlaybackItemPayload['kind'], heardPosition: number, forcedHeardFrames?: number): void {
    const rate = this.granted?.sampleRateHz ?? this.config.sampleRateHz;
    const start = item.startFrame ?? 0;
    const heardFrames = forcedHeardFrames ?? Math.max(0, Math.min(heardPosition, item.endFrame) - start);
    this.deps.publishItem({
      kind,
      itemId: item.itemId,
      responseId: item.responseId,
      heardMs: Math.round((heardFrames * 1000) / rate),
      receivedMs: Math.round((item.receivedSourceFrames * 1000) / item.sourceRateHz),
      enteredDeviceUs: item.enteredDeviceUs,
      timeUs: this.deps.clock.monotonicUs(),
    });
  }

  /** Everything that went to the speaker, silence included, while it is open: the echo reference for the dsp. */
  private played(period: PlayedPeriod): void {
    this.device.working();
    for (const item of this.items.values()) {
      const start = item.startFrame;
      if (start !== undefined && item.enteredDeviceUs === null && start >= period.contentStart && start < period.contentStart + period.contentFrames) {
        item.enteredDeviceUs = period.writtenUs;
      }
    }
    const assembler = this.playedFrames;
    if (assembler === undefined) return;
    for (const frame of assembler.push(period)) this.deps.publishPlayed(frame);
    this.playedSequence = assembler.sequence;
  }

  private publishState(state: PlaybackStatePayload['state'], retryInMs: number | null = null): void {
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
      sinceMs: this.deps.clock.nowMs(),
    });
  }
}
