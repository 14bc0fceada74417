import { randomInt } from 'node:crypto';

const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

function base62(length: number): string {
  let out = '';
  for (let i = 0; i < length; i++) out += BASE62[randomInt(62)];
  return out;
}

/** Ids in the real server's formats: `event_`/`resp_`/`item_`/`sess_`/`conv_` + 21 base62, `call_` + 16. */
export type IdKind = 'event' | 'resp' | 'item' | 'sess' | 'conv' | 'call';
export type IdSource = (kind: IdKind) => string;

export const randomIds: IdSource = (kind) => `${kind}_${base62(kind === 'call' ? 16 : 21)}`;

/** Predictable ids for tests: `item_1`, `item_2`, … per kind. */
export function sequentialIds(): IdSource {
  const counters = new Map<IdKind, number>();
  return (kind) => {
    const next = (counters.get(kind) ?? 0) + 1;
    counters.set(kind, next);
    return `${kind}_${next}`;
  };
}
