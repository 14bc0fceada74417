import { encodeAudioFrame } from '../audio/frame-codec.js';
import { CONTRACT, KNOWN_SERVICES, TOPIC_KEYS, type TopicKey } from '../contract/contract.js';
import { decodeMessage } from '../contract/message-codec.js';

/** One message the fuzzer made: always one the contract refuses (checked before it is handed out). */
export interface FuzzMessage {
  readonly key: TopicKey;
  readonly topic: string;
  readonly payload: Buffer;
  readonly retain: boolean;
  /** Which kind of damage: `not-json`, `wrong-types`, `bad-magic`, `non-finite`, … */
  readonly kind: string;
  /** For a `{service}/…` topic, the service it names (only that one consumes it). */
  readonly owner?: string;
}

/** mulberry32: a small seeded generator, so a failing run can be replayed from its seed. */
function seeded(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

type Maker = (random: () => number, properties: string[]) => Buffer;

const json = (value: unknown): Buffer => Buffer.from(JSON.stringify(value));
const nested = (depth: number): string => `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`;
/** A value of a type no schema field of the contract takes together with the others. */
const WRONG_VALUES: readonly unknown[] = [{ x: 1 }, [1, 2], 'not-a-number', -1e308, true, null, '\u0000', 1.5];

const JSON_MAKERS: Readonly<Record<string, Maker>> = {
  'not-json': () => Buffer.from('{"unterminated": '),
  empty: () => Buffer.alloc(0),
  'bad-utf8': () => Buffer.from([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x3a, 0x31, 0x7d]),
  array: () => json([1, 'two', { three: 3 }]),
  null: () => json(null),
  number: () => json(Number.MAX_SAFE_INTEGER),
  'wrong-types': (random, properties) =>
    json(Object.fromEntries(properties.map((name) => [name, WRONG_VALUES[Math.floor(random() * WRONG_VALUES.length)]]))),
  'unknown-field': (_random, properties) => json({ ...Object.fromEntries(properties.map((name) => [name, null])), injected: '<script>' }),
  deep: () => Buffer.from(nested(5000)),
  'big-string': () => json({ text: 'x'.repeat(200 * 1024), injected: true }),
};

const FRAME_MS = 20;
/** A frame the codec accepts, to be damaged. */
function goodFrame(random: () => number): Buffer {
  const rateHz = 24_000;
  const pcm = new Uint8Array(((rateHz * FRAME_MS) / 1000) * 2);
  for (let i = 0; i < pcm.length; i++) pcm[i] = Math.floor(random() * 256);
  return encodeAudioFrame({ sampleRateHz: rateHz, channels: 1, sampleFormat: 's16le', sequence: Math.floor(random() * 1000), captureTimeUs: 1_000_000, pcm });
}

const AUDIO_MAKERS: Readonly<Record<string, Maker>> = {
  garbage: (random) => Buffer.from(Array.from({ length: 1 + Math.floor(random() * 2000) }, () => Math.floor(random() * 256))),
  truncated: (random) => goodFrame(random).subarray(0, 20),
  'bad-magic': (random) => Buffer.concat([Buffer.from('RIFF'), goodFrame(random).subarray(4)]),
  'bad-version': (random) => {
    const frame = goodFrame(random);
    frame[4] = 99;
    return frame;
  },
  'rate-zero': (random) => {
    const frame = goodFrame(random);
    frame.writeUInt32LE(0, 12);
    return frame;
  },
  'channels-zero': (random) => {
    const frame = goodFrame(random);
    frame[6] = 0;
    return frame;
  },
  'length-mismatch': (random) => Buffer.concat([goodFrame(random), Buffer.from([1, 2, 3])]),
  'too-long': (random) => {
    // Two seconds at 8 kHz, the frame count saying so.
    const frame = goodFrame(random);
    frame.writeUInt32LE(8000, 12);
    frame.writeUInt32LE(16_000, 20);
    return Buffer.concat([frame.subarray(0, 32), Buffer.alloc(32_000)]);
  },
  'non-finite': () => {
    const pcm = new Float32Array(480).fill(Number.NaN);
    const frame = encodeAudioFrame({ sampleRateHz: 24_000, channels: 1, sampleFormat: 's16le', sequence: 1, captureTimeUs: 1_000_000, pcm: new Uint8Array(960) });
    // Rewritten as f32le with NaN samples after encoding (the encoder itself refuses them).
    frame[5] = 3;
    return Buffer.concat([frame.subarray(0, 32), Buffer.from(pcm.buffer)]);
  },
  'item-flag-without-tag': (random) => {
    const frame = goodFrame(random);
    frame[7] = 1;
    return frame;
  },
};

/** A topic of the key: `{service}` a known service (its own topics), other placeholders one level. */
function topicOf(baseTopic: string, key: TopicKey, random: () => number): { topic: string; owner?: string } {
  let owner: string | undefined;
  const path = CONTRACT[key].path.replace(/\{(\w+)\}/g, (_match, name: string) => {
    if (name !== 'service') return name === 'name' ? 'weather' : 'fuzz';
    owner = KNOWN_SERVICES[Math.floor(random() * KNOWN_SERVICES.length)] as string;
    return owner;
  });
  return { topic: `${baseTopic}/${path}`, ...(owner !== undefined ? { owner } : {}) };
}

const isStatus = (key: TopicKey): boolean => key === 'service.status';

/**
 * Makes messages the contract refuses, over every topic of the contract and every kind of damage,
 * from a seed. Each is checked against the contract before it is handed out (one that decodes is
 * made again), so every consumer must count every one. Never retained on `status` topics: a
 * service's retained status is its own (only access rules keep others off it).
 */
export class Fuzzer {
  private readonly random: () => number;
  private readonly keys: readonly TopicKey[];

  constructor(
    readonly seed: number,
    private readonly baseTopic = 'voxbus',
    keys: readonly TopicKey[] = TOPIC_KEYS,
  ) {
    this.random = seeded(seed);
    this.keys = keys;
  }

  next(): FuzzMessage {
    for (;;) {
      const key = this.keys[Math.floor(this.random() * this.keys.length)] as TopicKey;
      const spec = CONTRACT[key];
      const makers = spec.kind === 'audio' ? AUDIO_MAKERS : JSON_MAKERS;
      const kinds = Object.keys(makers);
      const kind = kinds[Math.floor(this.random() * kinds.length)] as string;
      const properties = spec.kind === 'json' ? Object.keys((spec.schema as { properties?: object }).properties ?? {}) : [];
      const payload = (makers[kind] as Maker)(this.random, properties);
      try {
        decodeMessage(spec, payload);
        continue; // valid after all (an empty command takes `{}`): not a fuzz message
      } catch {
        // refused, as it must be
      }
      const retain = !isStatus(key) && this.random() < 0.1;
      return { key, ...topicOf(this.baseTopic, key, this.random), payload, retain, kind };
    }
  }
}

/**
 * What was sent, and whether the consumers counted it: a consumer of a key must have counted
 * every message of the key, or (for `{service}/…` topics) every one naming it; nothing else.
 */
export class FuzzTally {
  total = 0;
  private readonly byKey = new Map<TopicKey, number>();
  private readonly byOwner = new Map<TopicKey, Map<string, number>>();

  add(message: FuzzMessage): void {
    this.total++;
    this.byKey.set(message.key, (this.byKey.get(message.key) ?? 0) + 1);
    if (message.owner === undefined) return;
    const owners = this.byOwner.get(message.key) ?? new Map<string, number>();
    owners.set(message.owner, (owners.get(message.owner) ?? 0) + 1);
    this.byOwner.set(message.key, owners);
  }

  /** `counted`: per service, its invalid messages per key since the fuzzing began (metrics `bus.invalidReceived`, less the count before). */
  check(counted: ReadonlyMap<string, Readonly<Record<string, number>>>): { wrong: string[]; consumed: Set<TopicKey>; countedTotal: number } {
    const wrong: string[] = [];
    const consumed = new Set<TopicKey>();
    let countedTotal = 0;
    for (const [service, counts] of counted) {
      for (const key of TOPIC_KEYS) {
        const n = counts[key] ?? 0;
        if (n === 0) continue;
        countedTotal += n;
        consumed.add(key);
        const all = this.byKey.get(key) ?? 0;
        const naming = this.byOwner.get(key)?.get(service) ?? 0;
        if (n !== all && n !== naming) wrong.push(`${service} counted ${n} on ${key}: sent ${all}${naming ? `, ${naming} naming it` : ''}`);
      }
    }
    return { wrong, consumed, countedTotal };
  }
}

/** Whether the contract accepts a payload on a key (a service's own status or metrics, told apart from fuzz on the same topic). */
export function contractAccepts(key: TopicKey, payload: Buffer): boolean {
  try {
    decodeMessage(CONTRACT[key], payload);
    return true;
  } catch {
    return false;
  }
}
