import { buildTopic, CONTRACT, CONVERSATION_STATES, HOME_ASSISTANT_PREFIX, type TopicKey } from '@voxbus/shared';

/** The Home Assistant MQTT components the board's entities are. */
export type Component = 'sensor' | 'binary_sensor' | 'switch' | 'number' | 'button';

/** One entity: where its discovery config goes, and the config (Home Assistant's field names). */
export interface Entity {
  readonly component: Component;
  readonly objectId: string;
  readonly config: Readonly<Record<string, unknown>>;
}

export interface EntityOptions {
  readonly baseTopic: string;
  readonly nodeId: string;
  readonly deviceName: string;
  readonly version: string;
  /** A sensor's state holds at most 255 characters: a transcript is cut to this many there. */
  readonly transcriptMaxChars: number;
}

/** The services whose health Home Assistant shows, one connectivity sensor each (the simulator is a stand-in, and not shown). */
export const WATCHED_SERVICES = ['broker', 'audio-capture', 'dsp', 'realtime-gateway', 'playback', 'conversation-state', 'lcd', 'home-assistant'] as const;

/** `homeassistant/<component>/<node>/<object>/config`: where Home Assistant looks for an entity's config. */
export function discoveryTopic(nodeId: string, component: Component, objectId: string): string {
  return `${HOME_ASSISTANT_PREFIX}/${component}/${nodeId}/${objectId}/config`;
}

/**
 * The board as Home Assistant sees it: one device with its conversation (state, the last
 * transcripts, the last turn's latency), its controls (mute switches, volume, end and start) and
 * each service's health. State and command topics are the contract's own wherever Home Assistant
 * can use them as they are (a template picks the field); the bridge adds only what it cannot:
 * the last final transcripts (the gateway streams deltas) and one topic per mute switch.
 */
export function entities(options: EntityOptions): Entity[] {
  const { baseTopic, nodeId } = options;
  const topic = (key: TopicKey, params: Record<string, string> = {}) => buildTopic(baseTopic, CONTRACT[key], params);
  const device = {
    identifiers: [`voxbus_${nodeId}`],
    name: options.deviceName,
    manufacturer: 'voxbus',
    model: 'voxbus voice assistant',
    sw_version: options.version,
  };
  // Available while the service that feeds it says `online` on its retained status (its Last Will says `offline`).
  const availableWhile = (...services: string[]) => ({
    availability: services.map((service) => ({
      topic: topic('service.status', { service }),
      value_template: '{{ value_json.status }}',
      payload_available: 'online',
      payload_not_available: 'offline',
    })),
    availability_mode: 'all',
  });
  const entity = (component: Component, object: string, name: string, fields: Record<string, unknown>): Entity => ({
    component,
    objectId: object,
    config: {
      name,
      unique_id: `voxbus_${nodeId}_${object}`,
      default_entity_id: `${component}.voxbus_${nodeId}_${object}`,
      device,
      origin: { name: 'voxbus', sw_version: options.version },
      qos: 1,
      ...fields,
    },
  });
  const muteSwitch = (target: 'user' | 'assistant', name: string, icon: string) =>
    entity('switch', `mute_${target}`, name, {
      command_topic: topic('home-assistant.cmd.mute', { target }),
      payload_on: '{"muted":true}',
      payload_off: '{"muted":false}',
      state_topic: topic('conversation.state'),
      value_template: `{{ 'ON' if value_json.muted.${target} else 'OFF' }}`,
      state_on: 'ON',
      state_off: 'OFF',
      icon,
      ...availableWhile('conversation-state', 'home-assistant'),
    });
  const transcript = (role: 'user' | 'assistant', name: string, icon: string) =>
    entity('sensor', `last_${role}_transcript`, name, {
      state_topic: topic('home-assistant.state.transcript', { role }),
      value_template: `{{ value_json.text[:${options.transcriptMaxChars}] }}`,
      // The whole text, its item and when it was said, as attributes.
      json_attributes_topic: topic('home-assistant.state.transcript', { role }),
      icon,
      ...availableWhile('home-assistant'),
    });
  return [
    entity('sensor', 'conversation_state', 'Conversation', {
      state_topic: topic('conversation.state'),
      value_template: '{{ value_json.state }}',
      device_class: 'enum',
      options: [...CONVERSATION_STATES],
      json_attributes_topic: topic('conversation.state'),
      json_attributes_template: '{{ {"mode": value_json.mode, "vad": value_json.vad, "mic_open": value_json.micOpen, "turn": value_json.turn} | tojson }}',
      icon: 'mdi:account-voice',
      ...availableWhile('conversation-state'),
    }),
    transcript('user', 'Last thing said', 'mdi:account'),
    transcript('assistant', 'Last answer', 'mdi:robot'),
    entity('sensor', 'last_turn_latency', 'Last turn latency', {
      state_topic: topic('conversation.event.turn'),
      // From the end of the person's speech to the reply's first audio; none when no reply came.
      value_template: '{{ value_json.latencyMs.speechStoppedToFirstAudio if value_json.latencyMs.speechStoppedToFirstAudio is number else none }}',
      unit_of_measurement: 'ms',
      device_class: 'duration',
      state_class: 'measurement',
      json_attributes_topic: topic('conversation.event.turn'),
      json_attributes_template: '{{ {"turn": value_json.turn, "outcome": value_json.outcome, "heard_ms": value_json.heardMs} | tojson }}',
      icon: 'mdi:timer-outline',
      ...availableWhile('conversation-state'),
    }),
    muteSwitch('user', 'Mute microphone', 'mdi:microphone-off'),
    muteSwitch('assistant', 'Mute speaker', 'mdi:volume-off'),
    entity('number', 'volume', 'Volume', {
      command_topic: topic('playback.cmd.volume'),
      command_template: '{"volume": {{ value }}}',
      state_topic: topic('playback.state'),
      value_template: '{{ value_json.volume }}',
      min: 0,
      max: 2,
      step: 0.05,
      mode: 'slider',
      icon: 'mdi:volume-high',
      ...availableWhile('playback'),
    }),
    entity('button', 'end_conversation', 'End conversation', {
      command_topic: topic('conversation.cmd.end'),
      payload_press: '{}',
      icon: 'mdi:stop-circle-outline',
      ...availableWhile('conversation-state'),
    }),
    entity('button', 'start_conversation', 'Start conversation', {
      command_topic: topic('conversation.cmd.start'),
      payload_press: '{}',
      icon: 'mdi:play-circle-outline',
      ...availableWhile('conversation-state'),
    }),
    ...WATCHED_SERVICES.map((service) =>
      entity('binary_sensor', `${service.replaceAll('-', '_')}_online`, `${service} online`, {
        state_topic: topic('service.status', { service }),
        value_template: '{{ value_json.status }}',
        payload_on: 'online',
        payload_off: 'offline',
        device_class: 'connectivity',
        entity_category: 'diagnostic',
      }),
    ),
  ];
}
