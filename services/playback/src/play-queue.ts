/** The queue in front of the device's ring: the jitter buffer, then audio moved into the ring as it has room. */
import type { GrantedFormat, PlaybackStream } from '@voxbus/alsa';
import type { Clock, Counter, TimerHandle } from '@voxbus/shared';
import type { PlaybackConfig } from './config.js';
import type { Item, ItemBook } from './items.js';

export interface PlayQueueDeps {
  readonly config: PlaybackConfig;
  readonly clock: Clock;
  readonly items: ItemBook;
  /** The open stream, if the device is open. */
  readonly stream: () => PlaybackStream | undefined;
  /** The device's format, while it is open. */
  readonly granted: () => GrantedFormat | undefined;
  readonly droppedQueueFull: Counter;
  /** A pump reached the ring (with something queued): the speaker is playing. */
  readonly pumped: () => void;
}

/**
 * Holds what is to be played until the ring has room. An item that starts from idle waits
 * `jitterMs` (or until that much has arrived) first. Tracks where each item's frames land in
 * the ring, in device content frames written since the device opened.
 */
export class PlayQueue {
  private queue: { item: Item; pcm: Buffer }[] = [];
  private queuedFrames = 0;
  private writtenFrames = 0;
  private holding = false;
  private holdTimer: TimerHandle | undefined;

  constructor(private readonly deps: PlayQueueDeps) {}

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
    this.queue.push({ item, pcm });
    this.queuedFrames += frames;
    item.queuedFrames += frames;
    if (idle && config.jitterMs > 0) {
      // Gather jitterMs before starting, so a network burst and gap does not stutter.
      this.holding = true;
      this.holdTimer?.cancel();
      this.holdTimer = this.deps.clock.setTimer('jitter buffer', config.jitterMs, () => {
        this.holding = false;
        this.pump();
      });
    }
    if (this.holding && this.queuedFrames >= (config.jitterMs * granted.sampleRateHz) / 1000) {
      this.holding = false;
      this.holdTimer?.cancel();
    }
    this.pump();
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
