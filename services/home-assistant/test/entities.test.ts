import { CONTRACT, decodeTopic, HOME_ASSISTANT_PREFIX, schemaErrors, type TopicKey } from '@voxbus/shared';
import { describe, expect, it } from 'vitest';
import { discoveryTopic, entities, WATCHED_SERVICES } from '../src/entities.js';
import { HA_DISCOVERY_SCHEMAS } from './ha-discovery-schema.js';

const board = entities({ baseTopic: 'voxbus/kitchen', nodeId: 'kitchen', deviceName: 'Kitchen voxbus', version: '1.2.3', transcriptMaxChars: 255 });
const topicFields = ['state_topic', 'command_topic', 'json_attributes_topic'] as const;

/** The contract topic a concrete topic is, or undefined. */
const keyOf = (topic: string): TopicKey | undefined => decodeTopic('voxbus/kitchen', topic, Buffer.from('{}')).key;

/** Whether `value_json.a.b` names a field of the topic's payload schema (a template reading a field that is not there shows nothing). */
function schemaHasPath(key: TopicKey, path: string[]): boolean {
  const spec = CONTRACT[key];
  if (spec.kind !== 'json') return false;
  let schema = spec.schema as { properties?: Record<string, unknown> };
  for (const name of path) {
    const next = schema.properties?.[name] as typeof schema | undefined;
    if (next === undefined) return false;
    schema = next;
  }
  return true;
}

describe("Home Assistant discovery: the board's entities", () => {
  it("every config is valid under Home Assistant's documented schema for its component, with unique ids", () => {
    for (const entity of board) {
      const errors = schemaErrors(HA_DISCOVERY_SCHEMAS[entity.component], entity.config);
      expect(errors, `${entity.component} ${entity.objectId}`).toBeUndefined();
    }
    const ids = board.map((e) => e.config.unique_id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(board.map((e) => `${e.component}/${e.objectId}`)).toEqual(
      expect.arrayContaining(['sensor/conversation_state', 'sensor/last_user_transcript', 'sensor/last_assistant_transcript', 'sensor/last_turn_latency', 'switch/mute_user', 'switch/mute_assistant', 'number/volume', 'button/end_conversation', 'button/start_conversation']),
    );
    expect(board.filter((e) => e.component === 'binary_sensor')).toHaveLength(WATCHED_SERVICES.length);
    expect(discoveryTopic('kitchen', 'switch', 'mute_user')).toBe(`${HOME_ASSISTANT_PREFIX}/switch/kitchen/mute_user/config`);
  });

  it('reads and writes only topics of the contract, under the base topic, and its templates read fields those payloads have', () => {
    for (const entity of board) {
      for (const field of topicFields) {
        const topic = entity.config[field] as string | undefined;
        if (topic === undefined) continue;
        expect(keyOf(topic), `${entity.objectId}.${field} ${topic}`).toBeDefined();
      }
      const availability = entity.config.availability as { topic: string }[] | undefined;
      for (const { topic } of availability ?? []) expect(keyOf(topic), `${entity.objectId} availability ${topic}`).toBe('service.status');
      const stateKey = keyOf((entity.config.state_topic as string | undefined) ?? '');
      for (const template of ['value_template', 'json_attributes_template'] as const) {
        const text = entity.config[template] as string | undefined;
        if (text === undefined || stateKey === undefined) continue;
        for (const [, path] of text.matchAll(/value_json\.([A-Za-z_.]+)/g)) {
          expect(schemaHasPath(stateKey, (path as string).split('.')), `${entity.objectId}.${template} reads ${path} of ${stateKey}`).toBe(true);
        }
      }
    }
  });

  it("what Home Assistant sends is what the contract takes: the switches' payloads, the volume the slider renders, the buttons' press", () => {
    const find = (objectId: string) => board.find((e) => e.objectId === objectId)?.config ?? {};
    for (const target of ['user', 'assistant']) {
      const mute = find(`mute_${target}`);
      const key = keyOf(mute.command_topic as string) as TopicKey;
      expect(key).toBe('home-assistant.cmd.mute');
      for (const payload of [mute.payload_on, mute.payload_off]) expect(decodeTopic('voxbus/kitchen', mute.command_topic as string, Buffer.from(payload as string)).ok).toBe(true);
    }
    const volume = find('volume');
    // Home Assistant renders `{{ value }}` with the slider's number.
    for (const value of [0, 0.75, 2]) {
      const rendered = (volume.command_template as string).replace('{{ value }}', String(value));
      const decoded = decodeTopic('voxbus/kitchen', volume.command_topic as string, Buffer.from(rendered));
      expect(decoded, rendered).toMatchObject({ ok: true, key: 'playback.cmd.volume', payload: { volume: value } });
    }
    for (const button of ['end_conversation', 'start_conversation']) {
      const config = find(button);
      expect(decodeTopic('voxbus/kitchen', config.command_topic as string, Buffer.from(config.payload_press as string)).ok, button).toBe(true);
    }
  });
});
