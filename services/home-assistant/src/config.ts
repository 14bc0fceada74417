import { type Static, Type } from '@sinclair/typebox';

export const HomeAssistantConfigSchema = Type.Object(
  {
    enabled: Type.Boolean({
      description: 'publish the discovery configs (the board appears in Home Assistant); false removes the entities this service published before',
    }),
    nodeId: Type.String({ pattern: '^[A-Za-z0-9_-]+$', description: 'the board\'s id in Home Assistant (discovery topics, unique ids): one per board sharing a Home Assistant' }),
    deviceName: Type.String({ minLength: 1, description: 'the device\'s name as Home Assistant shows it' }),
    transcriptMaxChars: Type.Integer({ minimum: 16, maximum: 255, description: 'a sensor\'s state is at most 255 characters: longer transcripts are cut there (the whole text is an attribute)' }),
  },
  { additionalProperties: false },
);

export type HomeAssistantConfig = Static<typeof HomeAssistantConfigSchema>;

/** On when it runs at all: the runner, systemd and compose start it only when asked (VOXBUS_HOME_ASSISTANT__ENABLED, its profile). */
export const HOME_ASSISTANT_DEFAULTS: HomeAssistantConfig = {
  enabled: true,
  nodeId: 'voxbus',
  deviceName: 'voxbus',
  transcriptMaxChars: 255,
};
