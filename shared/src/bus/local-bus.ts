import type { Logger } from 'pino';
import type { TopicKey } from '../contract/contract.js';
import { errorMessage } from '../errors.js';
import { BoundedQueue } from './bounded-queue.js';
import { BusCore, type SendOptions } from './bus-core.js';
import { type StatusIdentity, statusBytes, statusTopic } from './status-message.js';

/** One message as a local broker routes it. */
export interface RoutedMessage {
  readonly topic: string;
  readonly payload: Buffer;
}

/**
 * A broker running in this very process, as the services beside it reach it: MQTT's routing,
 * wildcards and retained messages without a socket, a packet codec or a login between them.
 * The broker service offers it (services/broker/src/local-broker.ts adapts Aedes); clients
 * outside the process still reach the same broker over TCP and WebSocket, and see everything.
 */
export interface LocalBroker {
  /** False once the broker has started closing. */
  readonly open: boolean;
  /**
   * Routes a message to every subscriber, in this process and outside; a retained one is stored
   * (an empty one clears). `done` comes once it has been routed.
   */
  publish(topic: string, payload: Buffer, options: { readonly qos: 0 | 1; readonly retain: boolean }, done: (error: Error | null) => void): void;
  /**
   * Calls `deliver` with every message routed on `filter` from now on (synchronously, from within
   * the publisher's call), until the returned function is called. One routed message is the same
   * object for every filter it matches, so a subscriber with overlapping filters can take it once.
   */
  subscribe(filter: string, deliver: (message: RoutedMessage) => void): () => void;
  /** The retained messages a new subscription on `filter` is owed. */
  retained(filter: string): AsyncIterable<RoutedMessage>;
}

export interface LocalBusOptions {
  readonly broker: LocalBroker;
  readonly baseTopic: string;
  readonly log: Logger;
  /** When given, the bus owns the service's status topic: `online` on connect, `offline` on close. */
  readonly status?: StatusIdentity | undefined;
  readonly maxPayloadBytes?: number;
}

interface Delivery {
  readonly message: RoutedMessage;
  readonly retained: boolean;
}

interface Outgoing {
  readonly key: TopicKey;
  readonly topic: string;
  readonly bytes: Buffer;
  readonly qos: 0 | 1;
  readonly retain: boolean;
  /** Told once the broker has routed it (or failed to). */
  readonly routed?: (error: Error | null) => void;
}

/** Messages held behind one still being routed; past this the oldest is dropped and counted. */
const HELD_CAPACITY = 256;

/**
 * The bus of a service that shares its process with the broker (all-in-one mode; the broker's
 * own status and metrics): the same contract, validation, subscriptions, queues and counters as
 * MqttBus, but a message reaches the broker by a function call. Over a loopback connection inside
 * the one process, every audio frame was encoded into an MQTT packet, written, read and parsed
 * twice (service → broker → service): the MQTT client code and the broker's socket handling were
 * about a quarter of the all-in-one process's busy time (profiled with --cpu-prof).
 *
 * Its messages are routed in the order it publishes them. Aedes routes a QoS 0 message within
 * the call but a QoS 1 or retained one only after a step of its store (a few microtasks), so a
 * message published after one of those waits until it has been routed.
 *
 * A routed message is handed to the subscriptions from the event loop's check phase
 * (setImmediate), never inside `publish`: a handler runs after the code that published returns,
 * as it does over a socket, and a handler that publishes cannot recurse into itself.
 *
 * No Last Will: if this process dies, the broker dies with it, and its clients outside see the
 * connection drop. The services inside are trusted as the broker's own code is: no login, no
 * access rules (those guard the bus from clients outside the process, which still go through them).
 */
export class LocalBus extends BusCore {
  private readonly broker: LocalBroker;
  private readonly statusTopic: string | undefined;
  private readonly attached = new Map<string, () => void>();
  private readonly held = new BoundedQueue<Outgoing>(HELD_CAPACITY);
  /** A QoS 1 or retained message handed to the broker and not yet routed: later ones wait. */
  private routing = false;
  private inbox: Delivery[] = [];
  private drainScheduled = false;
  /** The last live message taken: the same object reaches every overlapping filter of one routing. */
  private lastLive: RoutedMessage | undefined;
  private closed = false;

  constructor(private readonly options: LocalBusOptions) {
    super(options);
    this.broker = options.broker;
    this.statusTopic = options.status ? statusTopic(this.baseTopic, options.status) : undefined;
  }

  /** Says `online` and counts as connected: the broker is here, there is nothing to wait for. */
  connect(): void {
    if (this.closed || this.connected) return;
    if (!this.broker.open) {
      this.log.error('the broker in this process is closed: this service cannot reach the bus');
      return;
    }
    if (this.statusTopic && this.options.status) {
      this.enqueue({ key: 'service.status', topic: this.statusTopic, bytes: statusBytes(this.options.status, 'online', 'running'), qos: 1, retain: true });
    }
    this.log.info('connected to the broker in this process');
    this.setConnected(true);
  }

  /** Publishes `offline` (reason `stopped`) when this bus owns a status, then stops taking messages. */
  async close(timeoutMs = 2000): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const identity = this.options.status;
    if (this.statusTopic && identity && this.broker.open) {
      const topic = this.statusTopic;
      // Behind whatever it published before: `offline` is the last word.
      await new Promise<void>((resolve) => {
        const timer = setTimeout(() => {
          this.log.warn({ timeoutMs }, 'the broker did not take `offline` in time');
          resolve();
        }, timeoutMs);
        const routed = (error: Error | null) => {
          clearTimeout(timer);
          if (error) this.log.warn({ err: error.message }, 'could not publish `offline`');
          resolve();
        };
        this.enqueue({ key: 'service.status', topic, bytes: statusBytes(identity, 'offline', 'stopped'), qos: 1, retain: true, routed });
      });
    }
    for (const detach of this.attached.values()) detach();
    this.attached.clear();
    this.inbox = [];
    this.setConnected(false);
  }

  protected send(key: TopicKey, topic: string, bytes: Buffer, options: SendOptions): boolean {
    if (this.closed || !this.broker.open) {
      this.countDroppedOutgoing(key, topic, this.closed ? 'bus closed' : 'the broker in this process is closed');
      this.setConnected(false);
      return false;
    }
    this.enqueue({ key, topic, bytes, qos: options.qos, retain: options.retain });
    return true;
  }

  protected addFilter(filter: string): void {
    if (this.closed || this.attached.has(filter)) return;
    this.attached.set(
      filter,
      this.broker.subscribe(filter, (message) => {
        if (message === this.lastLive) return;
        this.lastLive = message;
        this.take({ message, retained: false });
      }),
    );
    void this.replayRetained(filter);
  }

  protected removeFilter(filter: string): void {
    this.attached.get(filter)?.();
    this.attached.delete(filter);
  }

  private enqueue(message: Outgoing): void {
    if (!this.routing) {
      this.handOver(message);
      return;
    }
    const dropped = this.held.push(message);
    if (dropped) this.countDroppedOutgoing(dropped.key, dropped.topic, 'the broker in this process is not keeping up');
  }

  private handOver(message: Outgoing): void {
    const waitForIt = message.qos > 0 || message.retain;
    if (waitForIt) this.routing = true;
    this.broker.publish(message.topic, message.bytes, { qos: message.qos, retain: message.retain }, (error) => {
      if (error) this.countDroppedOutgoing(message.key, message.topic, `publish failed: ${error.message}`);
      message.routed?.(error);
      if (!waitForIt) return;
      this.routing = false;
      for (let next = this.held.shift(); next; next = this.routing ? undefined : this.held.shift()) this.handOver(next);
    });
  }

  /** What a SUBSCRIBE is owed, as the broker sends it to a client: the filter's retained messages. */
  private async replayRetained(filter: string): Promise<void> {
    try {
      for await (const message of this.broker.retained(filter)) {
        if (!this.attached.has(filter)) return;
        this.take({ message, retained: true });
      }
    } catch (error) {
      this.problems.warn(`retained ${filter}`, { filter, err: errorMessage(error) }, 'could not read the retained messages of a new subscription');
    }
  }

  private take(delivery: Delivery): void {
    if (this.closed) return;
    this.inbox.push(delivery);
    if (this.drainScheduled) return;
    this.drainScheduled = true;
    setImmediate(this.drain);
  }

  /** Hands over what arrived; what the handlers publish meanwhile waits for the next turn. */
  private readonly drain = (): void => {
    this.drainScheduled = false;
    const batch = this.inbox;
    this.inbox = [];
    for (const { message, retained } of batch) {
      if (this.closed) return;
      this.receive(message.topic, message.payload, retained);
    }
  };
}
