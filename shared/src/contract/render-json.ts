import { AUDIO_FRAME_LAYOUT, AUDIO_FRAME_MAGIC, AUDIO_FRAME_VERSION } from '../audio/frame-codec.js';
import { COMMON_DEFAULTS, CommonConfigSchema } from '../runtime/common-config.js';
import { ANYONE_PUBLISHES, BUS_ROLES, EVERY_SERVICE_PUBLISHES, PRIVATE_AUDIO, SERVICE_PUBLISHES, USER_COMMANDS } from './access.js';
import { CHECKED_DUTIES, OTHER_DUTIES } from './duties.js';
import { CONTRACT, CONTRACT_VERSION, DEFAULT_BASE_TOPIC, KNOWN_SERVICES, TOPIC_KEYS } from './contract.js';
import { settingEnvName } from './render-settings.js';

/**
 * docs/contract.json: the contract for a machine (a code generator, a conformance kit in another
 * language, a validator), from the same map as docs/contract.md. Topic paths are relative to the
 * base topic; `{name}` levels are one topic level each. JSON schemas are JSON Schema 2020-12
 * compatible, closed objects.
 */
export function renderContractJson(): string {
  const topics = Object.fromEntries(
    TOPIC_KEYS.map((key) => {
      const spec = CONTRACT[key];
      const common = { path: spec.path, summary: spec.summary, publishedBy: spec.publishedBy, consumedBy: spec.consumedBy };
      return [
        key,
        spec.kind === 'json'
          ? { ...common, payload: 'json', qos: spec.qos, retained: spec.retained, schema: spec.schema }
          : { ...common, payload: 'audio-frame', qos: 0, retained: false, format: spec.format },
      ];
    }),
  );
  const document = {
    contractVersion: CONTRACT_VERSION,
    mqtt: '3.1.1',
    defaultBaseTopic: DEFAULT_BASE_TOPIC,
    services: KNOWN_SERVICES,
    topics,
    audioFrame: { magic: AUDIO_FRAME_MAGIC, version: AUDIO_FRAME_VERSION, littleEndian: true, layout: AUDIO_FRAME_LAYOUT },
    access: {
      roles: BUS_ROLES,
      anyonePublishes: ANYONE_PUBLISHES,
      everyServicePublishes: EVERY_SERVICE_PUBLISHES,
      servicePublishes: SERVICE_PUBLISHES,
      userCommands: USER_COMMANDS,
      privateAudio: PRIVATE_AUDIO,
    },
    duties: Object.fromEntries(
      [...new Set([...Object.keys(CHECKED_DUTIES), ...Object.keys(OTHER_DUTIES)])].map((service) => [service, [...(CHECKED_DUTIES[service] ?? []), ...(OTHER_DUTIES[service] ?? [])]]),
    ),
    settings: {
      schema: CommonConfigSchema,
      defaults: COMMON_DEFAULTS,
      environment: 'VOXBUS_ + the setting path, each level in SCREAMING_SNAKE_CASE, levels joined by __',
      example: settingEnvName(['bus', 'keepaliveS']),
    },
  };
  return `${JSON.stringify(document, null, 2)}\n`;
}
