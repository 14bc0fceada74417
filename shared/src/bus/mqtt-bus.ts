import net from 'node:net';
import mqtt, { type IClientOptions, MqttClient } from 'mqtt';
import type { Logger } from 'pino';
import type { TopicKey } from '../contract/contract.js';
import { TimeoutError, errorMessage } from '../errors.js';
import { BoundedQueue } from './bounded-queue.js';
import { BusCore, type SendOptions } from './bus-core.js';
import { type StatusIdentity, type StatusReason, statusBytes, statusTopic } from './status-message.js';

export type { StatusIdentity } from './status-message.js';

export interface MqttBusOptions {
  /** `mqtt://host:port` (TCP, with TCP_NODELAY), `ws://host:port/path` (MQTT over WebSocket), or `mqtts://`, `wss://` over TLS. */
  readonly url: string;
  /** PEM certificates to trust for `mqtts://` and `wss://` (a self-signed broker's own). */
  readonly ca?: string | undefined;
  readonly username?: string | undefined;
  readonly password?: string | undefined;
  readonly baseTopic: string;
  readonly clientId: string;
  readonly log: Logger;
  /** When given, the bus owns the service's status topic: Last Will, `online` on connect, `offline` on close. */
  readonly status?: StatusIdentity | undefined;
  /** MQTT keepalive; a hung process is declared `offline` within 1.5× this. */
  readonly keepaliveS?: number;
  readonly reconnectPeriodMs?: number;
  readonly connectTimeoutMs?: number;
  /** Non-retained JSON messages kept while disconnected; the oldest is dropped when full. */
  readonly offlineQueueCapacity?: number;
  /** Audio is dropped (and counted) instead of queued once this much is waiting in the socket. */
  readonly socketHighWaterBytes?: number;
  readonly maxPayloadBytes?: number;
}

interface PendingMessage {
  readonly key: TopicKey;
  readonly topic: string;
  readonly bytes: Buffer;
  readonly qos: 0 | 1;
}

/**
 * Until the first connection, and for at most FIRST_RETRIES_FOR_MS, retries come this often:
 * services start beside the broker, and with the whole reconnect period (1 s) between tries a
 * service ready before the broker waited up to a second after the broker was listening
 * (multi-process start-up, where the broker itself takes 2-3 s). After that window, a broker
 * that is really away is tried once a period.
 */
const FIRST_RETRY_MS = 100;
const FIRST_RETRIES_FOR_MS = 5000;

/**
 * The bus over MQTT 3.1.1 (Aedes, Mosquitto or any broker). Every socket has TCP_NODELAY:
 * with Nagle's algorithm a 20 ms audio frame waits for the previous one's ACK (measured here:
 * 19 ms median per hop with it, 0.22 ms without). Retained messages are re-published on every
 * reconnect, because a restarted broker (Aedes keeps retained messages in memory) forgets them.
 */
export class MqttBus extends BusCore {
  private client: MqttClient | undefined;
  private readonly offlineQueue: BoundedQueue<PendingMessage>;
  private readonly retainedSent = new Map<string, PendingMessage>();
  private readonly socketHighWaterBytes: number;
  private readonly statusTopic: string | undefined;

  constructor(private readonly options: MqttBusOptions) {
    super(options);
    this.offlineQueue = new BoundedQueue(options.offlineQueueCapacity ?? 256);
    this.socketHighWaterBytes = options.socketHighWaterBytes ?? 256 * 1024;
    this.statusTopic = options.status ? statusTopic(this.baseTopic, options.status) : undefined;
  }

  /** Starts connecting (and reconnecting) in the background; resolves at once. */
  connect(): void {
    if (this.client) return;
    const o = this.options;
    const reconnectPeriodMs = o.reconnectPeriodMs ?? 1000;
    const clientOptions: IClientOptions = {
      protocolVersion: 4,
      clientId: o.clientId,
      clean: true,
      keepalive: o.keepaliveS ?? 10,
      // Before the first connection, retries start sooner (below).
      reconnectPeriod: Math.min(FIRST_RETRY_MS, reconnectPeriodMs),
      connectTimeout: o.connectTimeoutMs ?? 5000,
      // Queuing is ours: bounded, with audio dropped rather than delivered late.
      queueQoSZero: false,
      resubscribe: false,
      // mqtt-packet's default cache of every 16-bit number as its own Buffer (65,536 of them)
      // costs about 6 MiB per process for a saving a board does not need.
      writeCache: false,
      ...credentials(o),
      ...(o.ca !== undefined ? { ca: o.ca } : {}),
      ...(this.statusTopic && o.status
        ? { will: { topic: this.statusTopic, payload: this.statusBytes('offline', 'connection_lost'), qos: 1, retain: true } }
        : {}),
    };
    const url = new URL(o.url);
    if (url.protocol === 'mqtt:' || url.protocol === 'tcp:') {
      const host = url.hostname || 'localhost';
      const port = Number(url.port || 1883);
      this.client = new MqttClient(() => net.createConnection({ host, port, noDelay: true }), clientOptions);
    } else {
      this.client = mqtt.connect(o.url, clientOptions);
    }
    const client = this.client;
    let everConnected = false;
    const startedAtMs = Date.now();
    client.on('close', () => {
      // mqtt.js reads the period as it schedules each retry.
      if (!everConnected && Date.now() - startedAtMs >= FIRST_RETRIES_FOR_MS) client.options.reconnectPeriod = reconnectPeriodMs;
    });
    client.on('connect', () => {
      everConnected = true;
      client.options.reconnectPeriod = reconnectPeriodMs;
      this.onConnect();
    });
    client.on('close', () => this.setConnected(false));
    client.on('offline', () => this.setConnected(false));
    client.on('error', (error) => this.problems.warn(`mqtt-error ${error.message}`, { url: redactUrl(o.url), err: error.message }, 'MQTT connection error'));
    client.on('message', (topic, payload, packet) => this.receive(topic, payload, packet.retain));
  }

  /** Resolves once connected, or rejects after `timeoutMs`. */
  waitConnected(timeoutMs: number): Promise<void> {
    if (this.connected) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        off();
        reject(new TimeoutError(`no connection to the broker at ${redactUrl(this.options.url)} within ${timeoutMs} ms`));
      }, timeoutMs);
      const off = this.onConnectionChange((connected) => {
        if (!connected) return;
        clearTimeout(timer);
        off();
        resolve();
      });
    });
  }

  /**
   * Publishes `offline` (reason `stopped`) when this bus owns a status, then disconnects.
   * Bounded by `timeoutMs` so a dead broker cannot hold up a shutdown.
   */
  async close(timeoutMs = 2000): Promise<void> {
    const client = this.client;
    if (!client) return;
    this.client = undefined;
    const stop = async (): Promise<void> => {
      if (this.statusTopic && client.connected) {
        await client.publishAsync(this.statusTopic, this.statusBytes('offline', 'stopped'), { qos: 1, retain: true });
      }
      await client.endAsync();
    };
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        stop(),
        new Promise((_, reject) => {
          timer = setTimeout(() => reject(new TimeoutError(`bus close took over ${timeoutMs} ms`)), timeoutMs);
        }),
      ]);
    } catch (error) {
      this.log.warn({ err: errorMessage(error) }, 'bus did not close cleanly; forcing');
      client.end(true);
    } finally {
      clearTimeout(timer);
      this.setConnected(false);
    }
  }

  protected send(key: TopicKey, topic: string, bytes: Buffer, options: SendOptions): boolean {
    const message: PendingMessage = { key, topic, bytes, qos: options.qos };
    if (options.retain) this.retainedSent.set(topic, message);
    const client = this.client;
    if (!client || !this.connected) {
      if (options.realtime) {
        this.countDroppedOutgoing(key, topic, 'not connected');
        return false;
      }
      // Retained messages are re-sent from `retainedSent` on connect; others wait in the queue.
      if (!options.retain) {
        const dropped = this.offlineQueue.push(message);
        if (dropped) this.countDroppedOutgoing(dropped.key, dropped.topic, 'offline queue full');
      }
      return true;
    }
    if (options.realtime && socketBacklog(client) > this.socketHighWaterBytes) {
      this.countDroppedOutgoing(key, topic, 'socket backed up');
      return false;
    }
    this.write(client, message, options.retain);
    return true;
  }

  protected addFilter(filter: string): void {
    if (this.client && this.connected) this.subscribeFilters(this.client, [filter]);
  }

  protected removeFilter(filter: string): void {
    if (this.client && this.connected) {
      this.client.unsubscribe(filter, (error) => {
        if (error) this.log.warn({ filter, err: error.message }, 'unsubscribe failed');
      });
    }
  }

  private onConnect(): void {
    const client = this.client;
    if (!client) return;
    this.log.info({ url: redactUrl(this.options.url) }, 'connected to the broker');
    const filters = this.activeFilters();
    if (filters.length > 0) this.subscribeFilters(client, filters);
    if (this.statusTopic) {
      this.write(client, { key: 'service.status', topic: this.statusTopic, bytes: this.statusBytes('online', 'running'), qos: 1 }, true);
    }
    for (const message of this.retainedSent.values()) {
      if (message.topic !== this.statusTopic) this.write(client, message, true);
    }
    for (let message = this.offlineQueue.shift(); message; message = this.offlineQueue.shift()) {
      this.write(client, message, false);
    }
    this.setConnected(true);
  }

  private subscribeFilters(client: MqttClient, filters: string[]): void {
    client.subscribe(filters, { qos: 1 }, (error) => {
      if (error) this.log.error({ filters, err: error.message }, 'subscribe failed');
    });
  }

  private write(client: MqttClient, message: PendingMessage, retain: boolean): void {
    client.publish(message.topic, message.bytes, { qos: message.qos, retain }, (error) => {
      if (error) this.countDroppedOutgoing(message.key, message.topic, `publish failed: ${error.message}`);
    });
  }

  private statusBytes(status: 'online' | 'offline', reason: StatusReason): Buffer {
    const identity = this.options.status;
    if (!identity) throw new Error('statusBytes called without a status identity');
    return statusBytes(identity, status, reason);
  }
}

/** Explicit credentials win over any in the URL. */
function credentials(o: MqttBusOptions): { username?: string; password?: string } {
  const url = new URL(o.url);
  const username = o.username ?? (url.username ? decodeURIComponent(url.username) : undefined);
  const password = o.password ?? (url.password ? decodeURIComponent(url.password) : undefined);
  return { ...(username !== undefined ? { username } : {}), ...(password !== undefined ? { password } : {}) };
}

function socketBacklog(client: MqttClient): number {
  const stream = client.stream as { writableLength?: number } | undefined;
  return stream?.writableLength ?? 0;
}

/** The URL without credentials, for logs. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.username || parsed.password) {
      parsed.username = '***';
      parsed.password = '';
    }
    return parsed.toString();
  } catch {
    return '(unparsable url)';
  }
}
