import type { TopicKey } from '../contract/contract.js';
import { BoundedQueue } from './bounded-queue.js';
import type { BusHandler, BusMessage } from './bus.js';

export interface SubscriptionInfo {
  readonly owner: string;
  readonly key: TopicKey;
  readonly filter: string;
}

export interface SubscriptionReport {
  dropped(subscription: SubscriptionInfo): void;
  failed(subscription: SubscriptionInfo, error: unknown): void;
  depth(depth: number): void;
}

/** A subscription of any topic, as the bus holds them. */
export interface AnySubscription extends SubscriptionInfo {
  deliver(message: BusMessage<TopicKey>): void;
  close(): void;
}

/**
 * One handler's inbox. A message is handed over at once when the handler is idle; while an
 * async handler is busy, messages wait in a bounded queue (oldest dropped and counted), so a
 * slow handler neither blocks the others nor grows memory without limit.
 */
export class Subscription<K extends TopicKey> implements SubscriptionInfo {
  private readonly queue: BoundedQueue<BusMessage<K>>;
  private busy = false;
  private closed = false;

  constructor(
    readonly owner: string,
    readonly key: K,
    readonly filter: string,
    private readonly handler: BusHandler<K>,
    queueCapacity: number,
    private readonly report: SubscriptionReport,
  ) {
    this.queue = new BoundedQueue(queueCapacity);
  }

  deliver(message: BusMessage<K>): void {
    if (this.closed) return;
    if (this.busy) {
      if (this.queue.push(message) !== undefined) this.report.dropped(this);
      this.report.depth(this.queue.length);
      return;
    }
    this.runFrom(message);
  }

  close(): void {
    this.closed = true;
    this.queue.clear();
  }

  /** Runs handlers synchronously until one returns a promise, then resumes when it settles. */
  private runFrom(first: BusMessage<K>): void {
    let message: BusMessage<K> | undefined = first;
    this.busy = true;
    while (message && !this.closed) {
      let result: void | Promise<void>;
      try {
        result = this.handler(message);
      } catch (error) {
        this.report.failed(this, error);
        result = undefined;
      }
      if (result instanceof Promise) {
        result
          .catch((error: unknown) => this.report.failed(this, error))
          .finally(() => {
            const next = this.queue.shift();
            if (next) this.runFrom(next);
            else this.busy = false;
          });
        return;
      }
      message = this.queue.shift();
    }
    this.busy = false;
  }
}
