import { errorMessage } from '../errors.js';
import { CONTRACT, TOPIC_KEYS, type TopicKey } from './contract.js';
import { decodeMessage } from './message-codec.js';
import { matchTopic } from './topic-path.js';

/** A message on a contract topic, decoded; or why it could not be. */
export type DecodedTopic =
  | { readonly ok: true; readonly key: TopicKey; readonly params: Readonly<Record<string, string>>; readonly payload: unknown }
  | { readonly ok: false; readonly key: TopicKey | undefined; readonly error: string };

/**
 * Which contract topic a concrete topic is (under `baseTopic`), and its payload decoded with the
 * contract's own codec: what a tool watching the whole bus (the conformance kit, the command line)
 * needs to read any message the way the services would.
 */
export function decodeTopic(baseTopic: string, topic: string, bytes: Buffer): DecodedTopic {
  for (const key of TOPIC_KEYS) {
    const params = matchTopic(baseTopic, CONTRACT[key], topic);
    if (!params) continue;
    try {
      return { ok: true, key, params, payload: decodeMessage(CONTRACT[key], bytes) };
    } catch (error) {
      return { ok: false, key, error: errorMessage(error) };
    }
  }
  return { ok: false, key: undefined, error: 'not a topic of the contract' };
}
