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
 */
export class Probe {
  readonly messages: ProbeMessage[] = [];

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

  /** Waits for a message on `topic` (after index `after`) whose JSON satisfies `match`. */
  waitForJson<T>(topic: string, match: (json: T) => boolean, timeoutMs = 10_000, after = 0): Promise<T> {
    return waitFor(`a message on ${topic}`, () => {
      const found = this.messages.slice(after).find((m) => m.topic === topic && m.json !== undefined && match(m.json as T));
      return found ? (found.json as T) : undefined;
    }, timeoutMs);
  }

  async close(): Promise<void> {
    await this.client.endAsync(true);
  }
}
