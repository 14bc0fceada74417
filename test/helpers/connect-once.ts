import mqtt from 'mqtt';

/** Connects once, without retrying, and says how the broker answered: `connected`, or the refusal. */
export function connectOnce(url: string, options: mqtt.IClientOptions): Promise<string> {
  return new Promise((resolve) => {
    const client = mqtt.connect(url, { protocolVersion: 4, reconnectPeriod: 0, ...options });
    client.once('connect', () => {
      client.end(true);
      resolve('connected');
    });
    client.once('error', (error) => {
      client.end(true);
      resolve(error.message);
    });
  });
}
