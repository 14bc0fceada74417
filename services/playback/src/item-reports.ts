/** Reports per item what was actually heard: started, position, drained, and flushed at the cut. */
import type { GrantedFormat, PlaybackStream } from '@voxbus/alsa';
import type { Clock, Payload, TimerHandle } from '@voxbus/shared';
import type { PlaybackConfig } from './config.js';
import type { Item, ItemBook } from './items.js';
import type { PlayQueue } from './play-queue.js';

export type PlaybackItemPayload = Payload<'playback.event.item'>;

export interface ItemReportsDeps {
  readonly config: PlaybackConfig;
  readonly clock: Clock;
  readonly items: ItemBook;
  readonly queue: PlayQueue;
  /** The open stream, if the device is open. */
  readonly stream: () => PlaybackStream | undefined;
  /** The device's format, while it is open. */
  readonly granted: () => GrantedFormat | undefined;
  readonly publishItem: (event: PlaybackItemPayload) => void;
  /** Nothing is live any more (the position timer has stopped). */
  readonly idle: () => void;
}

/**
 * How often the device's position is read while anything is live: `started`, `drained` and a
 * flush's cut are said within this (conversation-state waits on them), whatever the position pace.
 */
const DEVICE_CHECK_MS = 100;

/**
 * Reads the device's position every DEVICE_CHECK_MS while anything is live, and turns it into
 * item events: `started`, `drained` and `flushed` as soon as they are seen, a playing item's
 * `position` at most every `positionIntervalMs` (each one costs every subscriber a parse;
 * conversation-state moves a position on by the time since it); flushed items are reported once
 * the audio thread has said where it cut.
 */
export class ItemReports {
  private positionTimer: TimerHandle | undefined;
  /** Flushes asked of each stream: its engine numbers them the same way (its `flushesDone` counts up to them). */
  private readonly flushesOf = new WeakMap<PlaybackStream, number>();

  constructor(private readonly deps: ItemReportsDeps) {}

  /**
   * A flush was asked of `stream`: its cut is known once the stream has done as many as were
   * asked of it. Counted here, not read from the stream after asking: its audio thread may act on
   * the flush before the next line runs (a busy core), and a count read then waited for one flush
   * more, so the cut item was never reported flushed (once on a fresh clone's CI).
   */
  flushAsked(stream: PlaybackStream): void {
    const asked = (this.flushesOf.get(stream) ?? 0) + 1;
    this.flushesOf.set(stream, asked);
  }

  stop(): void {
    this.positionTimer?.cancel();
  }

  ensurePositionTimer(): void {
    if (this.positionTimer !== undefined) return;
    this.positionTimer = this.deps.clock.setRepeating('item positions', Math.min(this.deps.config.positionIntervalMs, DEVICE_CHECK_MS), () => this.report());
  }

  /** Where the speaker is: started / position / drained per item, and flush cuts once known. */
  private report(): void {
    const stream = this.deps.stream();
    if (stream === undefined) return;
    const stats = stream.stats();
    // A stream reopened after a device loss starts at none asked: the old one's were finished then.
    if (stats.flushesDone >= (this.flushesOf.get(stream) ?? 0)) this.finishFlush(stats.lastCutFrames);
    const heard = stats.contentHeardFrames;
    const playing = [...this.deps.items.all()].filter((item) => item.startFrame !== undefined && !item.flushPending);
    for (const item of playing) {
      const start = item.startFrame as number;
      if (heard <= start) continue;
      const nowUs = this.deps.clock.monotonicUs();
      if (!item.started) {
        item.started = true;
        item.lastReportUs = nowUs;
        this.publishItem(item, 'started', heard);
      }
      if (heard < item.endFrame || item.queuedFrames > 0) {
        // Half a check early counts as due: the timer's jitter must not skip a whole period.
        if (nowUs - item.lastReportUs >= (this.deps.config.positionIntervalMs - DEVICE_CHECK_MS / 2) * 1000) {
          item.lastReportUs = nowUs;
          this.publishItem(item, 'position', heard);
        }
        continue;
      }
      // Fully heard. Drained if nothing else is waiting to play after it.
      const more = !this.deps.queue.empty || playing.some((other) => other !== item && other.endFrame > heard);
      this.publishItem(item, more ? 'position' : 'drained', heard);
      // It stays remembered (a late frame continues it, heard from where this stretch ended), but is no longer reported.
      item.heardBeforeFrames += item.endFrame - start;
      item.startFrame = undefined;
      item.endFrame = 0;
      item.started = false;
    }
    if (this.deps.items.live().length === 0) {
      this.positionTimer?.cancel();
      this.positionTimer = undefined;
      this.deps.idle();
    }
  }

  /** Flushed items end here: heard up to the cut (what was in the device still plays out). */
  finishFlush(cutFrames: number): void {
    for (const item of this.deps.items.all()) {
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
    const rate = this.deps.granted()?.sampleRateHz ?? this.deps.config.sampleRateHz;
    const start = item.startFrame ?? 0;
    const heardFrames = item.heardBeforeFrames + (forcedHeardFrames ?? Math.max(0, Math.min(heardPosition, item.endFrame) - start));
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
}
