import { Type } from '@sinclair/typebox';
import type { MqttClient } from 'mqtt';
import { connectOnce } from '../bus/connect-once.js';
import { CONTRACT, type Contract, type TopicKey } from '../contract/contract.js';
import { decodeTopic } from '../contract/decode-topic.js';
import { encodeMessage } from '../contract/message-codec.js';
import { buildTopic } from '../contract/topic-path.js';
import type { ParamsOf, PayloadOf } from '../contract/topic-spec.js';
import { busLogin, loadConfig } from '../runtime/config.js';

/** The options every command that talks to the bus takes, for util.parseArgs. */
export const BUS_OPTIONS = {
  url: { type: 'string' },
  'base-topic': { type: 'string' },
} as const;

/** A message on the bus as the command line sees it: decoded against the contract when it can be. */
export interface CliMessage {
  readonly topic: string;
  /** The topic below the base topic (`dsp/state`). */
  readonly path: string;
  readonly bytes: Buffer;
  readonly retained: boolean;
  readonly key: TopicKey | undefined;
  readonly params: Readonly<Record<string, string>>;
  /** The decoded payload; undefined when `error` says why it could not be. */
  readonly payload: unknown;
  readonly error: string | undefined;
}

export interface CliBusOptions {
  readonly url?: string | undefined;
  readonly baseTopic?: string | undefined;
}

/**
 * The command line's connection: found as every service finds the bus (VOXBUS_BUS__URL,
 * VOXBUS_BUS__BASE_TOPIC, VOXBUS_BUS__USERNAME/PASSWORD(_FILE), VOXBUS_CONFIG), logged in as `cli`
 * where the username says `{service}`, the flags overriding the URL and base topic.
 */
export class CliBus {
  private readonly handlers = new Set<(message: CliMessage) => void>();

  private constructor(
    private readonly client: MqttClient,
    readonly url: string,
    readonly baseTopic: string,
  ) {
    client.on('message', (topic, bytes, packet) => {
      const decoded = decodeTopic(baseTopic, topic, bytes);
      const message: CliMessage = {
        topic,
        path: topic.startsWith(`${baseTopic}/`) ? topic.slice(baseTopic.length + 1) : topic,
        bytes,
        retained: packet.retain,
        key: decoded.key,
        params: decoded.ok ? decoded.params : {},
        payload: decoded.ok ? decoded.payload : undefined,
        error: decoded.ok ? undefined : decoded.error,
      };
      for (const handler of this.handlers) handler(message);
    });
  }

  static async connect(options: CliBusOptions = {}): Promise<CliBus> {
    const { common } = loadConfig({ service: 'cli', schema: Type.Object({}), defaults: {} });
    const url = options.url ?? common.bus.url;
    const baseTopic = options.baseTopic ?? common.bus.baseTopic;
    // The flags or VOXBUS_BUS__URL say where, as the error says when nothing answers there.
    const client = await connectOnce(url, busLogin(common.bus), 'cli');
    return new CliBus(client, url, baseTopic);
  }

  /** Calls `handler` with every message of the subscriptions; returns its removal. */
  onMessage(handler: (message: CliMessage) => void): () => void {
    this.handlers.add(handler);
    return () => this.handlers.delete(handler);
  }

  /** Subscribes to filters below the base topic (`+/status`, `#`). */
  async subscribe(...paths: string[]): Promise<void> {
    await this.client.subscribeAsync(
      paths.map((path) => `${this.baseTopic}/${path}`),
      { qos: 1 },
    );
  }

  /**
   * What the broker keeps retained on a topic below the base (its decoded payload), or undefined
   * when nothing is kept: the broker sends it right after the subscription is granted, so a
   * short wait after that says "nothing".
   */
  async retained(path: string, waitMs = 500): Promise<unknown> {
    const topic = `${this.baseTopic}/${path}`;
    let off: () => void = () => undefined;
    const kept = new Promise<unknown>((resolve) => {
      off = this.onMessage((message) => {
        if (message.topic === topic && message.retained) resolve(message.payload);
      });
    });
    try {
      await this.client.subscribeAsync(topic, { qos: 1 });
      return await Promise.race([kept, new Promise((resolve) => setTimeout(() => resolve(undefined), waitMs))]);
    } finally {
      off();
      await this.client.unsubscribeAsync(topic);
    }
  }

  /** Publishes a contract message, checked against the contract first (a typo is said here, not dropped by a service). */
  async publish<K extends TopicKey>(key: K, params: ParamsOf<Contract[K]>, payload: PayloadOf<Contract[K]>): Promise<void> {
    const spec = CONTRACT[key];
    const topic = buildTopic(this.baseTopic, spec, params as Record<string, string>);
    await this.client.publishAsync(topic, encodeMessage(spec, payload), { qos: spec.kind === 'audio' ? 0 : spec.qos, retain: false });
  }

  /** Resolves when the connection drops (the broker went away): a command that follows the bus ends then. */
  closed(): Promise<void> {
    return new Promise((resolve) => this.client.once('close', () => resolve()));
  }

  async close(): Promise<void> {
    await this.client.endAsync();
  }
}
