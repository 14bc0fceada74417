import pino, { type Logger } from 'pino';
import { DEFAULT_BASE_TOPIC, type TopicKey } from '../contract/contract.js';
import { filterMatches } from '../contract/topic-path.js';
import { BusCore, type SendOptions } from '../bus/bus-core.js';

/**
 * An in-memory stand-in for the broker: retained messages, fan-out to every MemoryBus
 * attached to it, and raw injection of bytes (to test what a misbehaving peer sends).
 */
export class MemoryBroker {
  private readonly clients = new Set<MemoryBus>();
  private readonly retained = new Map<string, Buffer>();
  /** Every message that went through, in order (topic and bytes), for assertions. */
  readonly log: { topic: string; bytes: Buffer; retain: boolean }[] = [];
  /** Retained messages owed to new subscriptions, while held (holdRetained). */
  private owed: (() => void)[] | undefined;

  attach(client: MemoryBus): void {
    this.clients.add(client);
  }

  detach(client: MemoryBus): void {
    this.clients.delete(client);
  }

  /** Publishes raw bytes as any MQTT client could, bypassing the contract. */
  publishRaw(topic: string, bytes: Buffer | string, retain = false): void {
    const payload = typeof bytes === 'string' ? Buffer.from(bytes) : bytes;
    this.log.push({ topic, bytes: payload, retain });
    if (retain) {
      if (payload.length === 0) this.retained.delete(topic);
      else this.retained.set(topic, payload);
    }
    for (const client of this.clients) client.deliverIfSubscribed(topic, payload, false);
  }

  retainedMatching(filter: string): [string, Buffer][] {
    return [...this.retained].filter(([topic]) => filterMatches(filter, topic));
  }

  /**
   * Sends a new subscription the filter's retained messages as they are now: at once, or when
   * released while held (a real broker streams them from its store while live messages flow).
   */
  sendRetained(filter: string, deliver: (topic: string, bytes: Buffer) => void): void {
    const due = this.retainedMatching(filter);
    const send = (): void => {
      for (const [topic, bytes] of due) deliver(topic, bytes);
    };
    if (this.owed) this.owed.push(send);
    else send();
  }

  /** From now on, retained messages owed to new subscriptions wait for releaseRetained. */
  holdRetained(): void {
    this.owed ??= [];
  }

  releaseRetained(): void {
    const owed = this.owed ?? [];
    this.owed = undefined;
    for (const send of owed) send();
  }
}

export interface MemoryBusOptions {
  readonly baseTopic?: string;
  readonly log?: Logger;
  readonly maxPayloadBytes?: number;
}

/** The Bus interface over a MemoryBroker: same validation, queues and counters as MqttBus. */
export class MemoryBus extends BusCore {
  private readonly filterSet = new Set<string>();

  constructor(
    readonly broker: MemoryBroker = new MemoryBroker(),
    options: MemoryBusOptions = {},
  ) {
    super({
      baseTopic: options.baseTopic ?? DEFAULT_BASE_TOPIC,
      log: options.log ?? pino({ level: 'silent' }),
      ...(options.maxPayloadBytes !== undefined ? { maxPayloadBytes: options.maxPayloadBytes } : {}),
    });
    broker.attach(this);
    this.setConnected(true);
  }

  /** Simulates losing and regaining the broker: back online, it subscribes again, as MqttBus does. */
  setOnline(online: boolean): void {
    if (online === this.connected) return;
    if (online) this.broker.attach(this);
    else this.broker.detach(this);
    this.setConnected(online);
    if (online) for (const filter of this.filterSet) this.sendRetainedOf(filter);
  }

  deliverIfSubscribed(topic: string, bytes: Buffer, retained: boolean): void {
    for (const filter of this.filterSet) {
      if (filterMatches(filter, topic)) {
        this.receive(topic, bytes, retained);
        return;
      }
    }
  }

  protected send(key: TopicKey, topic: string, bytes: Buffer, options: SendOptions): boolean {
    if (!this.connected) {
      this.countDroppedOutgoing(key, topic, 'not connected');
      return false;
    }
    this.broker.publishRaw(topic, bytes, options.retain);
    return true;
  }

  protected addFilter(filter: string): void {
    this.filterSet.add(filter);
    this.sendRetainedOf(filter);
  }

  private sendRetainedOf(filter: string): void {
    this.broker.sendRetained(filter, (topic, bytes) => {
      if (this.filterSet.has(filter) && this.connected) this.receive(topic, bytes, true);
    });
  }

  protected removeFilter(filter: string): void {
    this.filterSet.delete(filter);
  }
}
