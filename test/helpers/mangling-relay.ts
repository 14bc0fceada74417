import mqtt from 'mqtt';

/** A message to send in a relayed one's place, `path` below the base. */
export interface Relayed {
  readonly path: string;
  readonly payload: Buffer;
}

/**
 * What the relay does to one message: pass it (return it), change it (return other bytes), drop
 * it (return undefined), or send others in its place (on the same side, any topic). `path` is the
 * topic below the base, `toCandidate` its direction.
 */
export type Mangle = (path: string, payload: Buffer, toCandidate: boolean) => Buffer | undefined | readonly Relayed[];

export interface ManglingRelay {
  close(): Promise<void>;
}

/** What a service is sent (its commands, requests and input audio) and what it publishes (the rest, and its output audio). */
const AUDIO = {
  playback: { input: ['audio/output'], output: ['audio/played'] },
  'audio-capture': { input: [], output: ['audio/mic'] },
  dsp: { input: ['audio/mic', 'audio/played'], output: ['audio/input'] },
  'realtime-gateway': { input: ['audio/input'], output: ['audio/output'] },
} as const;

export type RelayedService = keyof typeof AUDIO | 'conversation-state' | 'lcd';

function topicsOf(service: RelayedService): { sent: string[]; published: string[]; retained: string[] } {
  if (service === 'conversation-state') {
    // It listens to the whole assistant, and publishes its view under `conversation/` and commands to the others.
    return {
      sent: [
        'conversation/cmd/#',
        'conversation-state/req/#',
        'realtime-gateway/state',
        'realtime-gateway/event/#',
        'playback/state',
        'playback/event/#',
        'audio-capture/state',
        'dsp/state',
        'dsp/event/#',
      ],
      published: [
        'conversation-state/status',
        'conversation-state/metrics',
        'conversation-state/res/#',
        'conversation/state',
        'conversation/event/#',
        'playback/cmd/#',
        'realtime-gateway/cmd/#',
        'audio-capture/cmd/#',
        'dsp/cmd/#',
      ],
      // Both ways: what the kit stands in for keeps its state retained, as the real services do.
      retained: ['conversation-state/status', 'conversation/state', 'realtime-gateway/state', 'playback/state', 'audio-capture/state', 'dsp/state'],
    };
  }
  if (service === 'lcd') {
    // It draws what the others publish, and publishes only about itself.
    return {
      sent: ['conversation/state', 'realtime-gateway/event/transcript', 'dsp/event/levels', 'lcd/req/#'],
      published: ['lcd/status', 'lcd/metrics', 'lcd/res/#'],
      retained: ['lcd/status', 'conversation/state'],
    };
  }
  const audio = AUDIO[service];
  return {
    sent: [`${service}/cmd/#`, `${service}/req/#`, ...audio.input],
    published: [`${service}/status`, `${service}/state`, `${service}/event/#`, `${service}/metrics`, `${service}/res/#`, ...audio.output],
    retained: [`${service}/status`, `${service}/state`],
  };
}

/**
 * A deliberately broken service made of the project's own: the real service runs under
 * `candidateBase`, and this relay stands between it and `kitBase`, passing every message through
 * `mangle`. One mangle breaks one rule of the contract, so the conformance kit can be shown to
 * catch each break by name without a broken copy of the service's code.
 */
export async function startManglingRelay(
  url: string,
  service: RelayedService,
  kitBase: string,
  candidateBase: string,
  mangle: Mangle,
): Promise<ManglingRelay> {
  const topics = topicsOf(service);
  const { sent, published } = topics;
  const retained = new Set(topics.retained);
  const client = mqtt.connect(url, { clientId: `relay-${kitBase}`, protocolVersion: 4, reconnectPeriod: 0 });
  await new Promise<void>((resolve, reject) => {
    client.once('connect', () => resolve());
    client.once('error', reject);
  });
  client.on('message', (topic, payload) => {
    const toCandidate = topic.startsWith(`${kitBase}/`);
    const path = topic.slice((toCandidate ? kitBase : candidateBase).length + 1);
    // The relay's own publishes come back to it on the other side: only what each side's party sent goes across.
    const sentByKit = sent.some((filter) => matches(filter, path));
    if (toCandidate !== sentByKit) return;
    const out = mangle(path, payload, toCandidate);
    const relayed = out === undefined ? [] : Buffer.isBuffer(out) ? [{ path, payload: out }] : (out as readonly Relayed[]);
    for (const message of relayed) {
      const target = `${toCandidate ? candidateBase : kitBase}/${message.path}`;
      client.publish(target, message.payload, { qos: message.path.startsWith('audio/') ? 0 : 1, retain: retained.has(message.path) });
    }
  });
  await client.subscribeAsync([...sent.map((f) => `${kitBase}/${f}`), ...published.map((f) => `${candidateBase}/${f}`)], { qos: 1 });
  return {
    close: async () => {
      await client.endAsync();
    },
  };
}

function matches(filter: string, path: string): boolean {
  return filter.endsWith('/#') ? path.startsWith(filter.slice(0, -1)) : filter === path;
}
