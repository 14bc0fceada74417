import type { Static } from '@sinclair/typebox';
import type { Contract, TopicKey } from '../contract/contract.js';
import type { BusCounters } from '../contract/schemas.js';
import type { ParamsOf, PayloadOf } from '../contract/topic-spec.js';

export type Params<K extends TopicKey> = ParamsOf<Contract[K]>;
export type Payload<K extends TopicKey> = PayloadOf<Contract[K]>;
export type BusCountersSnapshot = Static<typeof BusCounters>;

export interface BusMessage<K extends TopicKey> {
  readonly key: K;
  readonly topic: string;
  /** Values of the topic's `{param}` levels (the real values, also where the filter had `+`). */
  readonly params: Params<K>;
  readonly payload: Payload<K>;
  /** True when the broker delivered a stored retained message (a snapshot, not news). */
  readonly retained: boolean;
}

export type BusHandler<K extends TopicKey> = (message: BusMessage<K>) => void | Promise<void>;

export interface SubscribeOptions {
  /**
   * Messages held while the handler is busy (an async handler not yet settled); when full the
   * oldest is dropped and counted. Default: 50 for audio (1 s of 20 ms frames), 256 for JSON.
   */
  readonly queueCapacity?: number;
}

/**
 * The bus as services see it: typed by the contract, transport-agnostic. The real one is
 * MqttBus; tests use MemoryBus from `@voxbus/shared/testing`, which validates the same way.
 */
export interface Bus {
  readonly baseTopic: string;
  /**
   * Validates and publishes. Returns false (logged and counted, never thrown) when the payload
   * breaks the contract or the message had to be dropped.
   */
  publish<K extends TopicKey>(key: K, params: Params<K>, payload: Payload<K>): boolean;
  /**
   * Subscribes `handler` under `owner`; a param may be `+` to match any value. Handlers run
   * one message at a time per subscription, in arrival order; a throwing handler is logged
   * and counted, and the next message is still delivered.
   */
  subscribe<K extends TopicKey>(
    owner: string,
    key: K,
    params: Params<K>,
    handler: BusHandler<K>,
    options?: SubscribeOptions,
  ): void;
  /** Removes every subscription `owner` made. */
  unsubscribeAll(owner: string): void;
  readonly connected: boolean;
  /** Called with true on every (re)connect and false on every loss. Returns an unsubscribe. */
  onConnectionChange(listener: (connected: boolean) => void): () => void;
  counters(): BusCountersSnapshot;
}
