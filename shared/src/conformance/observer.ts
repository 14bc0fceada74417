import type { MqttClient } from 'mqtt';
import { type AudioFrame, encodeAudioFrame } from '../audio/frame-codec.js';
import { connectOnce } from '../bus/connect-once.js';
import { CONTRACT, type Contract, type TopicKey } from '../contract/contract.js';
import { decodeTopic } from '../contract/decode-topic.js';
import { encodeMessage } from '../contract/message-codec.js';
import { buildTopic } from '../contract/topic-path.js';
import type { ParamsOf, PayloadOf } from '../contract/topic-spec.js';

/** One message the kit saw, decoded against the contract. */
export interface SeenMessage {
  readonly topic: string;
  readonly key: TopicKey;
  readonly params: Readonly<Record<string, string>>;
  readonly payload: unknown;
  readonly retained: boolean;
  /** Wall-clock ms when it arrived at the kit. */
  readonly atMs: number;
}

/** A message on a contract topic that did not validate: the candidate broke the contract. */
export interface InvalidMessage {
  readonly topic: string;
  readonly error: string;
  readonly atMs: number;
}

export interface ObserverOptions {
  readonly url: string;
  readonly baseTopic: string;
  readonly username?: string | undefined;
  readonly password?: string | undefined;
}

/**
 * The kit's view of the bus: everything under the base topic, decoded with the contract's own
 * codec (so a payload the services would drop is reported here as the candidate's fault), and
 * publishing through the same codec. It speaks plain MQTT rather than through the services' Bus
 * so that nothing it receives is dropped before it is judged.
 */
export class BusObserver {
  readonly messages: SeenMessage[] = [];
  readonly invalid: InvalidMessage[] = [];
  private readonly waiters = new Set<() => void>();
  /** How many messages the kit published on each topic. */
  private readonly sentTo = new Map<string, number>();
  /** Topics the kit published retained, cleared when it closes. */
  private readonly retainedByKit = new Set<string>();

  private constructor(
    private readonly client: MqttClient,
    readonly baseTopic: string,
    private readonly options: ObserverOptions,
  ) {
    client.on('message', (topic, bytes, packet) => this.take(topic, bytes, packet.retain));
  }

  /** Connects and subscribes to everything under the base topic (or to `filter`). */
  static async connect(options: ObserverOptions, filter = `${options.baseTopic}/#`): Promise<BusObserver> {
    const client = await connectOnce(options.url, options, 'conformance-kit');
    const observer = new BusObserver(client, options.baseTopic, options);
    await client.subscribeAsync(filter, { qos: 1 });
    return observer;
  }

  private take(topic: string, bytes: Buffer, retained: boolean): void {
    const atMs = Date.now();
    const decoded = decodeTopic(this.baseTopic, topic, bytes);
    // Not a contract topic (another tool's, or a typo) is not the candidate's concern unless it is the publisher, which the rules check by topic.
    if (decoded.ok) this.messages.push({ topic, key: decoded.key, params: decoded.params, payload: decoded.payload, retained, atMs });
    else this.invalid.push({ topic, error: decoded.error, atMs });
    if (decoded.ok) for (const wake of this.waiters) wake();
  }

  publish<K extends TopicKey>(key: K, params: ParamsOf<Contract[K]>, payload: PayloadOf<Contract[K]>): Promise<unknown> {
    const spec = CONTRACT[key];
    const topic = buildTopic(this.baseTopic, spec, params as Record<string, string>);
    const bytes = spec.kind === 'audio' ? encodeAudioFrame(payload as AudioFrame) : encodeMessage(spec, payload);
    // Retained where the contract says so, as the service the kit stands in for would: a candidate
    // that subscribes a moment after the kit published (while it restores its own state) still
    // gets it. The kit clears what it left when it closes.
    const retain = spec.kind !== 'audio' && spec.retained;
    if (retain) this.retainedByKit.add(topic);
    return this.send(topic, bytes, spec.kind === 'audio' ? 0 : spec.qos, retain);
  }

  /** Bytes the contract's codec would refuse, on a topic below the base (`path`): bad input the candidate must survive. */
  publishRaw(path: string, bytes: Buffer): Promise<unknown> {
    return this.send(`${this.baseTopic}/${path}`, bytes, 1);
  }

  /**
   * Messages live on `topic` (not delivered from the retained store) beyond those the kit itself
   * published there: someone else's, since the broker hands the kit back each of its own once.
   */
  othersOn(topic: string): number {
    const seen = this.messages.filter((m) => m.topic === topic && !m.retained).length + this.invalid.filter((m) => m.topic === topic).length;
    return Math.max(0, seen - (this.sentTo.get(topic) ?? 0));
  }

  private send(topic: string, bytes: Buffer, qos: 0 | 1 | 2, retain = false): Promise<unknown> {
    this.sentTo.set(topic, (this.sentTo.get(topic) ?? 0) + 1);
    return this.client.publishAsync(topic, bytes, { qos, retain });
  }

  /** Messages of `key` (matching `params`) from index `from` on. */
  select<K extends TopicKey>(key: K, from = 0, params: Readonly<Record<string, string>> = {}): (SeenMessage & { payload: PayloadOf<Contract[K]> })[] {
    return this.messages
      .slice(from)
      .filter((m) => m.key === key && Object.entries(params).every(([name, value]) => m.params[name] === value)) as (SeenMessage & {
      payload: PayloadOf<Contract[K]>;
    })[];
  }

  /** The first message from index `from` on that `match` accepts, waiting up to `timeoutMs`; undefined on timeout. */
  async waitFor<K extends TopicKey>(
    key: K,
    match: (payload: PayloadOf<Contract[K]>, message: SeenMessage) => boolean,
    timeoutMs: number,
    from = 0,
    params: Readonly<Record<string, string>> = {},
  ): Promise<(SeenMessage & { payload: PayloadOf<Contract[K]> }) | undefined> {
    const find = () => this.select(key, from, params).find((m) => match(m.payload, m));
    const found = find();
    if (found) return found;
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.waiters.delete(wake);
        resolve(undefined);
      }, timeoutMs);
      const wake = () => {
        const hit = find();
        if (!hit) return;
        clearTimeout(timer);
        this.waiters.delete(wake);
        resolve(hit);
      };
      this.waiters.add(wake);
    });
  }

  /**
   * What the broker keeps retained on a topic now, asked on a fresh connection (a live message
   * does not say whether it was published retained); undefined when nothing is kept.
   */
  async retainedNow(topic: string, timeoutMs = 1000): Promise<unknown> {
    const probe = await BusObserver.connect({ ...this.options, baseTopic: this.baseTopic }, topic);
    try {
      const kept = await new Promise<SeenMessage | undefined>((resolve) => {
        const timer = setTimeout(() => resolve(undefined), timeoutMs);
        const check = () => {
          const hit = probe.messages.find((m) => m.retained);
          if (hit) {
            clearTimeout(timer);
            resolve(hit);
          }
        };
        probe.waiters.add(check);
        check();
      });
      return kept?.payload;
    } finally {
      await probe.close();
    }
  }

  get mark(): number {
    return this.messages.length;
  }

  async close(): Promise<void> {
    // An empty retained message deletes what the broker keeps: nothing of the kit's stays behind.
    await Promise.all([...this.retainedByKit].map((topic) => this.client.publishAsync(topic, Buffer.alloc(0), { qos: 1, retain: true })));
    await this.client.endAsync();
  }
}
