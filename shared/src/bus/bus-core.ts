import type { Logger } from 'pino';
import { CONTRACT, type TopicKey } from '../contract/contract.js';
import { DEFAULT_MAX_PAYLOAD_BYTES, decodeMessage, encodeMessage } from '../contract/message-codec.js';
import { buildTopic, checkBaseTopic, filterMatches, matchTopic } from '../contract/topic-path.js';
import { errorMessage } from '../errors.js';
import type { Bus, BusCountersSnapshot, BusHandler, BusMessage, Params, Payload, SubscribeOptions } from './bus.js';
import { RateLimitedLog } from './rate-limited-log.js';
import { type AnySubscription, Subscription } from './subscription.js';

const DEFAULT_AUDIO_QUEUE = 50;
const MAX_CACHED_ROUTES = 512;

interface Route {
  readonly subscription: AnySubscription;
  readonly params: Record<string, string>;
}

interface TopicRoutes {
  readonly routes: readonly Route[];
  /** The topic is retained by contract: its latest valid message is kept as a snapshot. */
  readonly keepsSnapshot: boolean;
}
const DEFAULT_JSON_QUEUE = 256;

interface Snapshot {
  /** The latest valid bytes; none once the topic was cleared live (an empty retained message). */
  readonly bytes: Buffer | undefined;
  /**
   * It came live, on a subscription active since before: every later message will come live too.
   * A broker sends a new subscription's retained messages while live ones already flow, so a
   * retained copy arriving after this is older news (seen: `waiting` 4 ms after `running`).
   */
  readonly live: boolean;
}

export interface BusCoreOptions {
  readonly baseTopic: string;
  readonly log: Logger;
  readonly maxPayloadBytes?: number;
}

export interface SendOptions {
  readonly qos: 0 | 1;
  readonly retain: boolean;
  /** Audio is only worth sending now: transports drop it rather than queue it. */
  readonly realtime: boolean;
}

type CounterMap = Record<string, number>;

function increment(map: CounterMap, key: string): void {
  map[key] = (map[key] ?? 0) + 1;
}

/**
 * Everything a bus does apart from moving bytes: topic building, validation both ways,
 * subscriptions by owner, per-subscription queues, counters and rate-limited problem logs.
 * Transports (MQTT, in-memory) implement `send`, `addFilter` and `removeFilter` and feed
 * received bytes to `receive`.
 */
export abstract class BusCore implements Bus {
  readonly baseTopic: string;
  protected readonly log: Logger;
  protected readonly problems: RateLimitedLog;
  private readonly maxPayloadBytes: number;
  private readonly filters = new Map<string, Set<AnySubscription>>();
  private readonly owners = new Map<string, Set<AnySubscription>>();
  private readonly routes = new Map<string, TopicRoutes>();
  /**
   * The latest message of every retained topic received, so that a subscription joining a filter
   * already subscribed (the broker sends retained messages only on SUBSCRIBE) still gets the
   * snapshot. Bounded by the number of retained topics, which the contract keeps small.
   */
  private readonly snapshots = new Map<string, Snapshot>();
  private readonly connectionListeners = new Set<(connected: boolean) => void>();
  private isConnected = false;
  private everConnected = false;
  private readonly stats = {
    reconnects: 0,
    published: 0,
    received: 0,
    invalidReceived: {} as CounterMap,
    refusedPublishes: {} as CounterMap,
    droppedOutgoing: {} as CounterMap,
    droppedIncoming: {} as CounterMap,
    handlerErrors: {} as CounterMap,
    queueDepthMax: 0,
  };

  protected constructor(options: BusCoreOptions) {
    checkBaseTopic(options.baseTopic);
    this.baseTopic = options.baseTopic;
    this.log = options.log;
    this.problems = new RateLimitedLog(options.log);
    this.maxPayloadBytes = options.maxPayloadBytes ?? DEFAULT_MAX_PAYLOAD_BYTES;
  }

  protected abstract send(key: TopicKey, topic: string, bytes: Buffer, options: SendOptions): boolean;
  protected abstract addFilter(filter: string): void;
  protected abstract removeFilter(filter: string): void;

  get connected(): boolean {
    return this.isConnected;
  }

  publish<K extends TopicKey>(key: K, params: Params<K>, payload: Payload<K>): boolean {
    const spec = CONTRACT[key];
    let topic: string;
    let bytes: Buffer;
    try {
      topic = buildTopic(this.baseTopic, spec, params);
      bytes = encodeMessage(spec, payload, this.maxPayloadBytes);
    } catch (error) {
      increment(this.stats.refusedPublishes, key);
      this.problems.error(`refused ${key}`, { key, topic: spec.path, err: errorMessage(error) }, 'publish refused: the payload breaks the contract');
      return false;
    }
    const sent = this.send(key, topic, bytes, {
      qos: spec.kind === 'json' ? spec.qos : 0,
      retain: spec.kind === 'json' && spec.retained,
      realtime: spec.kind === 'audio',
    });
    if (sent) this.stats.published++;
    return sent;
  }

  subscribe<K extends TopicKey>(
    owner: string,
    key: K,
    params: Params<K>,
    handler: BusHandler<K>,
    options: SubscribeOptions = {},
  ): void {
    const spec = CONTRACT[key];
    const filter = buildTopic(this.baseTopic, spec, params, true);
    const capacity = options.queueCapacity ?? (spec.kind === 'audio' ? DEFAULT_AUDIO_QUEUE : DEFAULT_JSON_QUEUE);
    const subscription = new Subscription(owner, key, filter, handler, capacity, {
      dropped: (sub) => {
        increment(this.stats.droppedIncoming, `${sub.owner} ${sub.key}`);
        this.problems.warn(`dropped-in ${sub.owner} ${sub.key}`, { owner: sub.owner, key: sub.key }, 'handler queue full: dropped the oldest message');
      },
      failed: (sub, error) => {
        increment(this.stats.handlerErrors, `${sub.owner} ${sub.key}`);
        this.problems.error(`handler ${sub.owner} ${sub.key}`, { owner: sub.owner, key: sub.key, err: errorMessage(error) }, 'message handler failed');
      },
      depth: (depth) => {
        if (depth > this.stats.queueDepthMax) this.stats.queueDepthMax = depth;
      },
    }) as unknown as AnySubscription;
    let owned = this.owners.get(owner);
    if (!owned) {
      owned = new Set();
      this.owners.set(owner, owned);
    }
    owned.add(subscription);
    this.routes.clear();
    const onFilter = this.filters.get(filter);
    if (onFilter) {
      onFilter.add(subscription);
      this.replaySnapshots(filter, subscription, false);
      return;
    }
    // The broker's retained copy of a topic this bus already follows live will be skipped as older
    // news (receive): the subscription gets the bus's own, newer, snapshot instead.
    this.replaySnapshots(filter, subscription, true);
    // Registered before the transport subscribes: it may deliver retained messages at once.
    this.filters.set(filter, new Set([subscription]));
    this.addFilter(filter);
  }

  unsubscribeAll(owner: string): void {
    const owned = this.owners.get(owner);
    if (!owned) return;
    this.owners.delete(owner);
    this.routes.clear();
    for (const subscription of owned) {
      subscription.close();
      const onFilter = this.filters.get(subscription.filter);
      onFilter?.delete(subscription);
      if (onFilter && onFilter.size === 0) {
        this.filters.delete(subscription.filter);
        this.removeFilter(subscription.filter);
      }
    }
    // A topic no filter covers any more stops coming: its snapshot would only go stale.
    for (const topic of this.snapshots.keys()) {
      if (!this.covered(topic)) this.snapshots.delete(topic);
    }
  }

  onConnectionChange(listener: (connected: boolean) => void): () => void {
    this.connectionListeners.add(listener);
    return () => this.connectionListeners.delete(listener);
  }

  counters(): BusCountersSnapshot {
    const s = this.stats;
    return {
      connected: this.isConnected,
      reconnects: s.reconnects,
      published: s.published,
      received: s.received,
      invalidReceived: { ...s.invalidReceived },
      refusedPublishes: { ...s.refusedPublishes },
      droppedOutgoing: { ...s.droppedOutgoing },
      droppedIncoming: { ...s.droppedIncoming },
      handlerErrors: { ...s.handlerErrors },
      queueDepthMax: s.queueDepthMax,
    };
  }

  /** Every MQTT filter currently subscribed (for transports re-subscribing after a reconnect). */
  protected activeFilters(): string[] {
    return [...this.filters.keys()];
  }

  protected countDroppedOutgoing(key: TopicKey, topic: string, reason: string): void {
    increment(this.stats.droppedOutgoing, key);
    this.problems.warn(`dropped-out ${key} ${reason}`, { key, topic, reason }, 'outgoing message dropped');
  }

  protected setConnected(connected: boolean): void {
    if (connected === this.isConnected) return;
    // Offline, live news is missed: the retained copies sent on the next SUBSCRIBEs are the newest.
    if (!connected) this.forgetLiveness();
    if (connected && this.everConnected) this.stats.reconnects++;
    if (connected) this.everConnected = true;
    this.isConnected = connected;
    for (const listener of this.connectionListeners) {
      try {
        listener(connected);
      } catch (error) {
        this.log.error({ err: errorMessage(error) }, 'connection listener failed');
      }
    }
  }

  /** Transports call this with every message the broker delivers. */
  protected receive(topic: string, bytes: Buffer, retained: boolean): void {
    this.stats.received++;
    const { routes, keepsSnapshot } = this.routesFor(topic);
    // Older than the live news every subscription of this topic already had (see Snapshot.live).
    if (retained && keepsSnapshot && this.snapshots.get(topic)?.live === true) return;
    let decodedKey: TopicKey | undefined;
    let decoded: { payload: unknown } | { error: string } | undefined;
    let valid = false;
    for (const route of routes) {
      // Routes are grouped by key, so each payload is decoded once per contract entry.
      if (route.subscription.key !== decodedKey) {
        decodedKey = route.subscription.key;
        decoded = this.decode(decodedKey, topic, bytes);
      }
      if (decoded && 'payload' in decoded) {
        valid = true;
        route.subscription.deliver({ key: decodedKey, topic, params: route.params, payload: decoded.payload, retained } as BusMessage<TopicKey>);
      }
    }
    if (keepsSnapshot) {
      // An empty payload clears a retained topic; an invalid one is not kept (it was counted once).
      if (bytes.length === 0) this.snapshots.set(topic, { bytes: undefined, live: !retained });
      else if (valid) this.snapshots.set(topic, { bytes, live: !retained });
    }
  }

  /**
   * The subscriptions a concrete topic reaches, with its parameters, computed once per topic:
   * the audio path (50 frames/s per stream) then does one Map lookup instead of matching every
   * filter. Bounded, because topics with wildcard levels are chosen by whoever publishes.
   */
  private routesFor(topic: string): TopicRoutes {
    const cached = this.routes.get(topic);
    if (cached) return cached;
    const routes: Route[] = [];
    for (const [filter, subscriptions] of this.filters) {
      if (!filterMatches(filter, topic)) continue;
      for (const subscription of subscriptions) {
        const params = matchTopic(this.baseTopic, CONTRACT[subscription.key], topic);
        if (params) routes.push({ subscription, params });
      }
    }
    routes.sort((a, b) => (a.subscription.key < b.subscription.key ? -1 : a.subscription.key > b.subscription.key ? 1 : 0));
    const keepsSnapshot = routes.some(({ subscription }) => {
      const spec = CONTRACT[subscription.key];
      return spec.kind === 'json' && spec.retained;
    });
    const entry = { routes, keepsSnapshot };
    if (this.routes.size >= MAX_CACHED_ROUTES) this.routes.clear();
    this.routes.set(topic, entry);
    return entry;
  }

  /**
   * Hands a subscription the snapshots its filter covers: all of them when it joins a filter the
   * broker will not send again, only those the broker's copy would be skipped for on a new one.
   */
  private replaySnapshots(filter: string, subscription: AnySubscription, liveOnly: boolean): void {
    for (const [topic, { bytes, live }] of this.snapshots) {
      if (bytes === undefined || (liveOnly && !live) || !filterMatches(filter, topic)) continue;
      const params = matchTopic(this.baseTopic, CONTRACT[subscription.key], topic);
      const decoded = params ? this.decode(subscription.key, topic, bytes) : undefined;
      if (params && decoded && 'payload' in decoded) {
        subscription.deliver({ key: subscription.key, topic, params, payload: decoded.payload, retained: true } as BusMessage<TopicKey>);
      }
    }
  }

  private covered(topic: string): boolean {
    for (const filter of this.filters.keys()) {
      if (filterMatches(filter, topic)) return true;
    }
    return false;
  }

  private forgetLiveness(): void {
    for (const [topic, snapshot] of this.snapshots) {
      if (snapshot.bytes === undefined) this.snapshots.delete(topic);
      else if (snapshot.live) this.snapshots.set(topic, { bytes: snapshot.bytes, live: false });
    }
  }

  private decode(key: TopicKey, topic: string, bytes: Buffer): { payload: unknown } | { error: string } {
    try {
      return { payload: decodeMessage(CONTRACT[key], bytes, this.maxPayloadBytes) };
    } catch (error) {
      const why = errorMessage(error);
      increment(this.stats.invalidReceived, key);
      this.problems.warn(`invalid ${key}`, { key, topic, err: why, bytes: bytes.length }, 'invalid message dropped');
      return { error: why };
    }
  }
}
