import type { Readable } from 'node:stream';
import type { Aedes } from 'aedes';
import type { LocalBroker, RoutedMessage } from '@voxbus/shared';

/** The part of Aedes's persistence a new subscription's retained messages come from (not in its typings). */
interface RetainedStore {
  createRetainedStreamCombi(patterns: string[]): Readable;
}

/**
 * Aedes as the services in its own process reach it (all-in-one mode, the broker's own status):
 * `publish` is Aedes's own (retained messages stored, every subscriber reached, clients outside
 * included), `subscribe` listens on its router as a client's subscription does, and a new
 * subscription's retained messages come from its store as they do for a SUBSCRIBE.
 */
export function localBroker(aedes: Aedes): LocalBroker {
  const store = (aedes as unknown as { persistence: RetainedStore }).persistence;
  return {
    get open() {
      return !aedes.closed;
    },
    publish(topic, payload, { qos, retain }, done) {
      aedes.publish({ cmd: 'publish', topic, payload, qos, retain, dup: false }, (error) => done(error ?? null));
    },
    subscribe(filter, deliver) {
      // Aedes hands every listener of one routing the same packet object: what `deliver` promises.
      const listener = (packet: { topic: string; payload: Buffer | string }, routed: () => void): void => {
        deliver(typeof packet.payload === 'string' ? asBuffer(packet) : (packet as RoutedMessage));
        routed();
      };
      aedes.subscribe(filter, listener, noop);
      return () => aedes.unsubscribe(filter, listener, noop);
    },
    async *retained(filter) {
      for await (const packet of store.createRetainedStreamCombi([filter]) as AsyncIterable<RoutedMessage>) {
        yield { topic: packet.topic, payload: packet.payload };
      }
    },
  };
}

function noop(): void {}

/** A packet published with a string payload (by code, never off the wire), once per packet as it promises. */
const converted = new WeakMap<object, RoutedMessage>();
function asBuffer(packet: { topic: string; payload: Buffer | string }): RoutedMessage {
  let message = converted.get(packet);
  if (message === undefined) {
    message = { topic: packet.topic, payload: Buffer.from(packet.payload) };
    converted.set(packet, message);
  }
  return message;
}
