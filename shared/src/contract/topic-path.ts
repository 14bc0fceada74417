import { ContractError } from '../errors.js';
import type { TopicSpec } from './topic-spec.js';

/** A topic level given as a parameter: one level, no wildcard, no separator. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: MQTT forbids NUL in topics; this is the check.
const LEVEL = /^[^/+#\u0000]+$/;
// biome-ignore lint/suspicious/noControlCharactersInRegex: as above.
const BASE_TOPIC = /^[^/+#\u0000]+(\/[^/+#\u0000]+)*$/;

export function checkBaseTopic(baseTopic: string): void {
  if (!BASE_TOPIC.test(baseTopic)) {
    throw new ContractError(`base topic "${baseTopic}" must be one or more plain levels joined by "/"`);
  }
}

function placeholders(path: string): string[] {
  return [...path.matchAll(/\{([a-zA-Z]+)\}/g)].map((m) => m[1] as string);
}

/**
 * Builds the concrete topic (or, with `allowWildcards`, a subscription filter where a param
 * may be `+`) from a spec's path template.
 */
export function buildTopic(
  baseTopic: string,
  spec: TopicSpec,
  params: Readonly<Record<string, string>>,
  allowWildcards = false,
): string {
  const path = spec.path.replace(/\{([a-zA-Z]+)\}/g, (_, name: string) => {
    const value = params[name];
    if (value === undefined) throw new ContractError(`topic ${spec.path}: parameter "${name}" is missing`);
    if (!(LEVEL.test(value) || (allowWildcards && value === '+'))) {
      throw new ContractError(
        `topic ${spec.path}: parameter "${name}" = "${value}" must be one topic level` +
          (allowWildcards ? ' or "+"' : ' without wildcards'),
      );
    }
    return value;
  });
  return `${baseTopic}/${path}`;
}

/**
 * Matches a concrete topic against a spec's template; returns the parameter values, or
 * undefined when the topic is not of this spec.
 */
export function matchTopic(baseTopic: string, spec: TopicSpec, topic: string): Record<string, string> | undefined {
  const prefix = `${baseTopic}/`;
  if (!topic.startsWith(prefix)) return undefined;
  const levels = topic.slice(prefix.length).split('/');
  const template = spec.path.split('/');
  if (levels.length !== template.length) return undefined;
  const params: Record<string, string> = {};
  for (let i = 0; i < template.length; i++) {
    const want = template[i] as string;
    const got = levels[i] as string;
    const name = /^\{([a-zA-Z]+)\}$/.exec(want)?.[1];
    if (name !== undefined) params[name] = got;
    else if (want !== got) return undefined;
  }
  return params;
}

export function paramNames(spec: TopicSpec): string[] {
  return placeholders(spec.path);
}

/** MQTT filter matching (`+` one level, `#` the rest), per MQTT 3.1.1 §4.7. */
export function filterMatches(filter: string, topic: string): boolean {
  return filterLevelsMatch(filter.split('/'), topic.split('/'));
}

/** filterMatches on levels already split, for callers asking the same filters many times. */
export function filterLevelsMatch(filter: readonly string[], topic: readonly string[]): boolean {
  for (let i = 0; i < filter.length; i++) {
    const level = filter[i];
    if (level === '#') return true;
    if (i >= topic.length) return false;
    if (level !== '+' && level !== topic[i]) return false;
  }
  return filter.length === topic.length;
}
