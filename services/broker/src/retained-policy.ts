import { CONTRACT, filterMatches, HOME_ASSISTANT_PREFIX, TOPIC_KEYS } from '@voxbus/shared';

/** Command and request topics (`…/cmd/…`, `…/req/…`, whatever the base topic): never retained. */
export function isCommandTopic(topic: string): boolean {
  const levels = topic.split('/');
  return levels.includes('cmd') || levels.includes('req');
}

/** The contract's retained topics (statuses and states) as filters on a topic's last levels. */
const RETAINED_PATHS: readonly string[][] = TOPIC_KEYS.filter((key) => {
  const spec = CONTRACT[key];
  return spec.kind === 'json' && spec.retained;
}).map((key) => CONTRACT[key].path.replace(/\{\w+\}/g, '+').split('/'));

/** Home Assistant's discovery configs (`homeassistant/<component>/[<node>/]<object>/config`), which it reads retained. */
function isDiscoveryConfig(levels: readonly string[]): boolean {
  return levels[0] === HOME_ASSISTANT_PREFIX && levels.at(-1) === 'config' && (levels.length === 4 || levels.length === 5);
}

/**
 * What the broker keeps retained. A retained message is handed to every later subscriber, and
 * Aedes keeps them all in memory, unbounded: any client could make it hold a command that is
 * obeyed again at each restart, or 256 KiB on as many topics as it likes until the board runs out
 * of memory. Kept: only the contract's retained topics (status and states, under any base topic,
 * so boards sharing a broker keep theirs) and Home Assistant's discovery configs, at most
 * `maxTopics` of them. Anything else is delivered, and not kept.
 */
export class RetainedPolicy {
  private readonly kept = new Set<string>();

  constructor(private readonly maxTopics: number) {}

  /** Undefined when the message may stay retained; otherwise why its retain flag is cleared. */
  judge(topic: string, payloadBytes: number): string | undefined {
    if (isCommandTopic(topic)) return 'a command was published retained: delivered, but not kept (commands are never retained)';
    const levels = topic.split('/');
    const contractual = RETAINED_PATHS.some((path) => levels.length > path.length && filterMatches(path.join('/'), levels.slice(-path.length).join('/'))) || isDiscoveryConfig(levels);
    if (!contractual) return 'a message was published retained on a topic the contract does not retain (only statuses and states): delivered, but not kept';
    if (payloadBytes === 0) {
      // An empty retained message clears the topic's retained one.
      this.kept.delete(topic);
      return undefined;
    }
    if (!this.kept.has(topic) && this.kept.size >= this.maxTopics) return `a retained message beyond the ${this.maxTopics} retained topics kept: delivered, but not kept`;
    this.kept.add(topic);
    return undefined;
  }
}
