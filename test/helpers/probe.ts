import mqtt, { type MqttClient } from 'mqtt';
import { waitFor } from './wait.js';

export interface ProbeMessage {
  readonly topic: string;
  readonly payload: Buffer;
  readonly retained: boolean;
  readonly json: unknown;
  /** Wall-clock time the probe received it (ms since the epoch). */
  readonly receivedAtMs: number;
}

/**
 * A plain MQTT client, as a user with mosquitto_sub or another-language service would be:
 * records everything on its filters and can publish raw bytes.
 *
 * Its connection can drop: the broker cuts a subscriber that stops reading (Aedes' drainTimeout)
 * when the test's process is busy for seconds (an FFT over a minute of recording), and a socket
 * error would otherwise surface as a bare uncaught `read ECONNRESET` with no stack and no topic.
 * Every drop is recorded, and a wait that times out says when the probe was off the bus.
 */
export class Probe {
  readonly messages: ProbeMessage[] = [];
  /** Times (ms since the epoch) and reasons the connection dropped. */
  readonly drops: { atMs: number; reason: string }[] = [];
  private readonly startedAtMs = Date.now();
  private closing = false;

  private constructor(readonly client: MqttClient) {
    client.on('message', (topic, payload, packet) => {
      let json: unknown;
      try {
        json = JSON.parse(payload.toString());
      } catch {
        json = undefined;
      }
      this.messages.push({ topic, payload, retained: packet.retain, json, receivedAtMs: Date.now() });
    });
    client.on('error', (error) => this.drops.push({ atMs: Date.now(), reason: `${(error as NodeJS.ErrnoException).code ?? 'error'}: ${error.message}` }));
    client.on('close', () => {
      if (!this.closing) this.drops.push({ atMs: Date.now(), reason: 'closed (by the broker, or lost)' });
    });
  }

  static async connect(url: string, options: mqtt.IClientOptions = {}): Promise<Probe> {
    const client = await mqtt.connectAsync(url, { protocolVersion: 4, reconnectPeriod: 200, ...options });
    return new Probe(client);
  }

  async subscribe(filter: string): Promise<void> {
    await this.client.subscribeAsync(filter, { qos: 1 });
  }

  async publish(topic: string, payload: Buffer | string, retain = false): Promise<void> {
    await this.client.publishAsync(topic, payload, { qos: 1, retain });
  }

  on(topic: string): ProbeMessage[] {
    return this.messages.filter((message) => message.topic === topic);
  }

  /**
   * The newest news on `topic`: its last message, except that a retained one arriving after a
   * live one is left out. The broker sends the retained snapshot of a new subscription while live
   * messages already flow, so the snapshot (older) can land after a live update (seen: a dsp's
   * retained `waiting` 4 ms after its live `running`).
   */
  latest(topic: string): ProbeMessage | undefined {
    let latest: ProbeMessage | undefined;
    let liveSeen = false;
    for (const message of this.on(topic)) {
      if (message.retained && liveSeen) continue;
      liveSeen ||= !message.retained;
      latest = message;
    }
    return latest;
  }

  /** Waits for a message on `topic` (after index `after`) whose JSON satisfies `match`. */
  waitForJson<T>(topic: string, match: (json: T) => boolean, timeoutMs = 10_000, after = 0): Promise<T> {
    return waitFor(`a message on ${topic}`, () => {
      const found = this.messages.slice(after).find((m) => m.topic === topic && m.json !== undefined && match(m.json as T));
      return found ? (found.json as T) : undefined;
    }, timeoutMs).catch((error: Error) => {
      throw new Error(`${error.message}${this.dropsSaid()}`);
    });
  }

  /** The connection's drops, as a clause for a failure message ('' when there were none). */
  dropsSaid(): string {
    if (this.drops.length === 0) return '';
    const said = this.drops.map((drop) => `${drop.reason} at +${((drop.atMs - this.startedAtMs) / 1000).toFixed(1)} s`);
    return ` (the probe's connection to the broker dropped, so messages may have been missed: ${said.join('; ')})`;
  }

  async close(): Promise<void> {
    this.closing = true;
    await this.client.endAsync(true);
  }
}
