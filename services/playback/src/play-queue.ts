/** The queue in front of the device's ring: the jitter buffer, then audio moved into the ring as it has room. */
import type { GrantedFormat, PlaybackStream } from '@voxbus/alsa';
import { type Clock, type Counter, earconName, type TimerHandle } from '@voxbus/shared';
import type { PlaybackConfig } from './config.js';
import type { Item, ItemBook } from './items.js';
import { JitterDepth } from './jitter-depth.js';

export interface PlayQueueDeps {
  readonly config: PlaybackConfig;
  readonly clock: Clock;
  readonly items: ItemBook;
  /** The open stream, if the device is open. */
  readonly stream: () => PlaybackStream | undefined;
  /** The device's format, while it is open. */
  readonly granted: () => GrantedFormat | undefined;
  readonly droppedQueueFull: Counter;
  /** Items that ran dry while more of them was still arriving. */
  readonly underruns: Counter;
  /** A pump reached the ring (with something queued): the speaker is playing. */
  readonly pumped: () => void;
}

/**
 * Holds what is to be played until the ring has room. An item that starts from idle waits for
 * the jitter buffer's depth of audio (at most that long) first: 0 until the network has shown it
 * can fall behind, so a reply streamed ahead of real time plays at once. Tracks where each item's frames land in the ring, in device
 * content frames written since the device opened.
 */
export class PlayQueue {
  private queue: { item: Item; pcm: Buffer }[] = [];
  private queuedFrames = 0;
  private writtenFrames = 0;
  private holding = false;
  private holdTimer: TimerHandle | undefined;
  readonly jitter: JitterDepth;

  constructor(private readonly deps: PlayQueueDeps) {
    const { config } = deps;
    this.jitter = new JitterDepth({ initialMs: config.jitterMs, maxMs: config.jitterMaxMs, growMs: config.jitterGrowMs, shrinkMs: config.jitterShrinkMs });
  }

  /** Frames waiting for room in the ring. */
  get frames(): number {
    return this.queuedFrames;
  }

  get empty(): boolean {
    return this.queue.length === 0;
  }

  /** The device (re)opened: its ring starts again at frame 0. */
  opened(): void {
    this.writtenFrames = 0;
  }

  /** Drops everything queued. */
  clear(): void {
    this.queue = [];
    this.queuedFrames = 0;
  }

  /** A flush: no more holding, nothing queued. */
  flush(): void {
    this.holdTimer?.cancel();
    this.holding = false;
    this.clear();
  }

  stop(): void {
    this.holdTimer?.cancel();
  }

  enqueue(item: Item, pcm: Buffer): void {
    const { config } = this.deps;
    const granted = this.deps.granted() as GrantedFormat;
    const frames = pcm.length / (granted.channels * 2);
    if (frames === 0) return;
    if (this.queuedFrames + frames > (config.maxQueueMs * granted.sampleRateHz) / 1000) {
      this.deps.droppedQueueFull.inc();
      return;
    }
    const idle = this.deps.items.live().length === 0;
    const dry = this.ranDry(item);
    if (dry) {
      this.deps.underruns.inc();
      this.jitter.underrun();
    }
    this.queue.push({ item, pcm });
    this.queuedFrames += frames;
    item.queuedFrames += frames;
    // An item that ran dry goes on behind the grown buffer, but is not a new reply; an earcon is
    // made here, whole, and never waits.
    if (idle && earconName(item.itemId) === undefined) this.startFromIdle(!dry);
    if (this.holding && (this.queuedFrames * 1000) / granted.sampleRateHz >= this.jitter.depthMs) {
      this.holding = false;
      this.holdTimer?.cancel();
    }
    this.pump();
  }

  /** A reply starts from silence: gather the jitter buffer's depth first, so a network gap does not stutter. */
  private startFromIdle(newReply: boolean): void {
    if (newReply) this.jitter.replyStarts();
    const depthMs = this.jitter.depthMs;
    if (depthMs === 0) return;
    this.holding = true;
    this.holdTimer?.cancel();
    this.holdTimer = this.deps.clock.setTimer('jitter buffer', depthMs, () => {
      this.holding = false;
      this.pump();
    });
  }

  /**
   * More of an item that the speaker has already run out of: it came later than the speaker
   * played (an earlier stretch of it was heard to its end, or everything written into the ring
   * has been heard while nothing was queued). Said once per item.
   */
  private ranDry(item: Item): boolean {
    // Only an item the speaker has begun to play can have run dry.
    if (item.ranDry || !(item.started || item.heardBeforeFrames > 0)) return false;
    const stream = this.deps.stream();
    const emptied = item.startFrame === undefined || (this.queuedFrames === 0 && stream !== undefined && stream.stats().contentHeardFrames >= this.writtenFrames);
    if (emptied) item.ranDry = true;
    return emptied;
  }

  /** Moves queued audio into the ring as far as it has room. */
  pump(): void {
    const stream = this.deps.stream();
    if (stream === undefined || this.holding || this.queue.length === 0) return;
    const frameBytes = (this.deps.granted() as GrantedFormat).channels * 2;
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
    this.deps.pumped();
  }
}
