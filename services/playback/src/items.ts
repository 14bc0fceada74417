/** The speaker's items: each one's source timeline and place in the ring, which are live, which were flushed. */
import type { PlayedPeriod } from '@voxbus/alsa';
import { type AudioFrame, type Counter, earconName } from '@voxbus/shared';
import type { FormatConverter } from './format-converter.js';

/** One thing being played: an assistant audio item, or an earcon. Positions are device content frames. */
export interface Item {
  readonly itemId: string;
  readonly responseId: string;
  converter: FormatConverter | undefined;
  /** The source offset (per channel) the next frame should start at. */
  nextSourceOffset: number;
  receivedSourceFrames: number;
  sourceRateHz: number;
  /** Where its first frame entered the ring, once it has (a stretch: an item that ran dry starts another when more comes). */
  startFrame: number | undefined;
  /** Device frames of it heard in its earlier stretches: heardMs goes on from there, as the model's item does. */
  heardBeforeFrames: number;
  /** When its first sample was written into the device, once it has been. */
  enteredDeviceUs: number | null;
  /** Where its last written frame ends in the ring. */
  endFrame: number;
  /** Frames still waiting in the queue for room in the ring. */
  queuedFrames: number;
  started: boolean;
  /** CLOCK_MONOTONIC µs of the last start or position said for it: positions are paced. */
  lastReportUs: number;
  /** Waiting for the audio thread to say where the flush cut. */
  flushPending: boolean;
  /** The speaker ran out of it while more was still to come (counted once: the jitter buffer grows once). */
  ranDry: boolean;
}

/** Items remembered after they finish, so a late frame is recognised (not replayed as new). */
const REMEMBERED_ITEMS = 64;
/** A gap in an item's offsets up to this long is filled with silence; longer is a new start. */
const MAX_GAP_FILL_MS = 1000;

/** The items the speaker knows, in the order it first heard of them. */
export class ItemBook {
  private readonly items = new Map<string, Item>();
  /** Items flushed recently, and their responses: frames still arriving for them are dropped, not played. */
  private readonly flushedIds = new Set<string>();
  private readonly flushedResponses = new Set<string>();

  all(): IterableIterator<Item> {
    return this.items.values();
  }

  wasFlushed(itemId: string, responseId: string): boolean {
    return this.flushedIds.has(itemId) || this.flushedResponses.has(responseId);
  }

  /** The item by its id, new if unknown; `deviceRateHz` is the granted rate, if a device is open. */
  get(itemId: string, responseId: string, deviceRateHz: number | undefined): Item {
    let item = this.items.get(itemId);
    if (item === undefined) {
      item = {
        itemId,
        responseId,
        converter: undefined,
        nextSourceOffset: 0,
        receivedSourceFrames: 0,
        sourceRateHz: deviceRateHz ?? 24_000,
        startFrame: undefined,
        heardBeforeFrames: 0,
        enteredDeviceUs: null,
        endFrame: 0,
        queuedFrames: 0,
        started: false,
        lastReportUs: 0,
        flushPending: false,
        ranDry: false,
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
  isLive(item: Item): boolean {
    return item.startFrame !== undefined || item.queuedFrames > 0 || item.flushPending;
  }

  live(): Item[] {
    return [...this.items.values()].filter((item) => this.isLive(item));
  }

  /**
   * A flush: every live item awaits its cut and has nothing queued. Frames still arriving for any
   * assistant item heard of so far, or for its response, are dropped: the reply was cancelled, and
   * an item that had run dry (audio slower than real time) is not live, yet its late frames would
   * otherwise play after the person cut in.
   */
  flushLive(): void {
    for (const item of this.items.values()) {
      const live = this.isLive(item);
      if (live) {
        item.flushPending = true;
        item.queuedFrames = 0;
      }
      if (live || earconName(item.itemId) === undefined) this.flushedIds.add(item.itemId);
      if (item.responseId !== '') this.flushedResponses.add(item.responseId);
    }
    for (const remembered of [this.flushedIds, this.flushedResponses]) {
      while (remembered.size > REMEMBERED_ITEMS) remembered.delete(remembered.values().next().value as string);
    }
  }

  /** Notes when each item's first frame was written into the device, if it was in this period. */
  markEntered(period: PlayedPeriod): void {
    for (const item of this.items.values()) {
      const start = item.startFrame;
      if (start !== undefined && item.enteredDeviceUs === null && start >= period.contentStart && start < period.contentStart + period.contentFrames) {
        item.enteredDeviceUs = period.writtenUs;
      }
    }
  }
}

/** The counters `receiveFrame` keeps. */
export interface IntakeCounters {
  readonly duplicate: Counter;
  readonly gapFrames: Counter;
}

/**
 * Fits a frame starting at source offset `offset` into its item's timeline and hands on, converted to the
 * device's format, what is new: a resent part is cut off, a short gap before it becomes silence.
 */
export function receiveFrame(
  item: Item,
  converter: FormatConverter,
  frame: AudioFrame,
  offset: number,
  counters: IntakeCounters,
  enqueue: (pcm: Buffer) => void,
): void {
  const frameBytes = frame.channels * 2;
  let pcm = frame.pcm;
  if (offset < item.nextSourceOffset) {
    // Overlaps what was already received (a resend): keep only what is new.
    const overlapBytes = (item.nextSourceOffset - offset) * frameBytes;
    if (overlapBytes >= pcm.length) {
      counters.duplicate.inc();
      return;
    }
    pcm = pcm.subarray(overlapBytes);
  } else if (offset > item.nextSourceOffset && item.receivedSourceFrames > 0) {
    // Frames went missing: keep the timing by putting silence where they were.
    const gapFrames = offset - item.nextSourceOffset;
    if (gapFrames <= (MAX_GAP_FILL_MS * frame.sampleRateHz) / 1000) {
      counters.gapFrames.inc(gapFrames);
      enqueue(converter.convert(Buffer.alloc(gapFrames * frameBytes)));
    }
  }
  const sourceFrames = pcm.length / frameBytes;
  item.nextSourceOffset = Math.max(item.nextSourceOffset, offset) + sourceFrames;
  item.receivedSourceFrames += sourceFrames;
  enqueue(converter.convert(pcm));
}
