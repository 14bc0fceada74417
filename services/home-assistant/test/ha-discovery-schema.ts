import { type TObject, type TProperties, Type } from '@sinclair/typebox';

/**
 * Home Assistant's MQTT discovery payloads, as its documentation lists the fields
 * (https://www.home-assistant.io/integrations/mqtt/#mqtt-discovery and the pages of the sensor,
 * binary_sensor, switch, number and button platforms): each component's fields and which are
 * required, the shared availability, device and origin maps, and the enumerations. Closed: a
 * misspelt field, which Home Assistant refuses with a log line nobody sees on the board, fails.
 */
const Template = Type.String({ minLength: 1 });
const Topic = Type.String({ minLength: 1, pattern: '^[^#+]+$' });
const Qos = Type.Integer({ minimum: 0, maximum: 2 });

const Availability = Type.Object(
  { topic: Topic, payload_available: Type.Optional(Type.String()), payload_not_available: Type.Optional(Type.String()), value_template: Type.Optional(Template) },
  { additionalProperties: false },
);

const Device = Type.Object(
  {
    configuration_url: Type.Optional(Type.String()),
    connections: Type.Optional(Type.Array(Type.Array(Type.String(), { minItems: 2, maxItems: 2 }))),
    hw_version: Type.Optional(Type.String()),
    identifiers: Type.Optional(Type.Union([Type.String(), Type.Array(Type.String(), { minItems: 1 })])),
    manufacturer: Type.Optional(Type.String()),
    model: Type.Optional(Type.String()),
    model_id: Type.Optional(Type.String()),
    name: Type.Optional(Type.String()),
    serial_number: Type.Optional(Type.String()),
    suggested_area: Type.Optional(Type.String()),
    sw_version: Type.Optional(Type.String()),
    via_device: Type.Optional(Type.String()),
  },
  { additionalProperties: false },
);

const Origin = Type.Object({ name: Type.String({ minLength: 1 }), sw_version: Type.Optional(Type.String()), support_url: Type.Optional(Type.String()) }, { additionalProperties: false });

/** Fields every MQTT entity takes. */
const COMMON = {
  availability: Type.Optional(Type.Array(Availability, { minItems: 1 })),
  availability_mode: Type.Optional(Type.Union([Type.Literal('all'), Type.Literal('any'), Type.Literal('latest')])),
  availability_template: Type.Optional(Template),
  availability_topic: Type.Optional(Topic),
  payload_available: Type.Optional(Type.String()),
  payload_not_available: Type.Optional(Type.String()),
  device: Type.Optional(Device),
  default_entity_id: Type.Optional(Type.String({ pattern: '^[a-z_]+\\.[a-z0-9_]+$' })),
  enabled_by_default: Type.Optional(Type.Boolean()),
  encoding: Type.Optional(Type.String()),
  entity_category: Type.Optional(Type.Union([Type.Literal('config'), Type.Literal('diagnostic')])),
  entity_picture: Type.Optional(Type.String()),
  icon: Type.Optional(Type.String({ pattern: '^mdi:[a-z0-9-]+$' })),
  json_attributes_template: Type.Optional(Template),
  json_attributes_topic: Type.Optional(Topic),
  name: Type.Optional(Type.Union([Type.String(), Type.Null()])),
  origin: Type.Optional(Origin),
  qos: Type.Optional(Qos),
  unique_id: Type.Optional(Type.String({ minLength: 1 })),
} satisfies TProperties;

const closed = (properties: TProperties): TObject => Type.Object({ ...COMMON, ...properties }, { additionalProperties: false });
const oneOf = (values: readonly string[]) => Type.Union(values.map((value) => Type.Literal(value)));

const SENSOR_DEVICE_CLASSES = ['apparent_power', 'aqi', 'area', 'atmospheric_pressure', 'battery', 'blood_glucose_concentration', 'carbon_dioxide', 'carbon_monoxide', 'current', 'data_rate', 'data_size', 'date', 'distance', 'duration', 'energy', 'energy_storage', 'enum', 'frequency', 'gas', 'humidity', 'illuminance', 'irradiance', 'moisture', 'monetary', 'nitrogen_dioxide', 'nitrogen_monoxide', 'nitrous_oxide', 'ozone', 'ph', 'pm1', 'pm10', 'pm25', 'power_factor', 'power', 'precipitation', 'precipitation_intensity', 'pressure', 'reactive_power', 'signal_strength', 'sound_pressure', 'speed', 'sulphur_dioxide', 'temperature', 'timestamp', 'volatile_organic_compounds', 'volatile_organic_compounds_parts', 'voltage', 'volume', 'volume_flow_rate', 'volume_storage', 'water', 'weight', 'wind_speed'];
const BINARY_SENSOR_DEVICE_CLASSES = ['battery', 'battery_charging', 'carbon_monoxide', 'cold', 'connectivity', 'door', 'garage_door', 'gas', 'heat', 'light', 'lock', 'moisture', 'motion', 'moving', 'occupancy', 'opening', 'plug', 'power', 'presence', 'problem', 'running', 'safety', 'smoke', 'sound', 'tamper', 'update', 'vibration', 'window'];

export const HA_DISCOVERY_SCHEMAS = {
  sensor: closed({
    state_topic: Topic,
    value_template: Type.Optional(Template),
    device_class: Type.Optional(oneOf(SENSOR_DEVICE_CLASSES)),
    state_class: Type.Optional(oneOf(['measurement', 'measurement_angle', 'total', 'total_increasing'])),
    unit_of_measurement: Type.Optional(Type.String()),
    options: Type.Optional(Type.Array(Type.String(), { minItems: 1 })),
    expire_after: Type.Optional(Type.Integer({ minimum: 0 })),
    force_update: Type.Optional(Type.Boolean()),
    last_reset_value_template: Type.Optional(Template),
    suggested_display_precision: Type.Optional(Type.Integer({ minimum: 0 })),
  }),
  binary_sensor: closed({
    state_topic: Topic,
    value_template: Type.Optional(Template),
    payload_on: Type.Optional(Type.String()),
    payload_off: Type.Optional(Type.String()),
    device_class: Type.Optional(oneOf(BINARY_SENSOR_DEVICE_CLASSES)),
    expire_after: Type.Optional(Type.Integer({ minimum: 0 })),
    force_update: Type.Optional(Type.Boolean()),
    off_delay: Type.Optional(Type.Integer({ minimum: 0 })),
  }),
  switch: closed({
    command_topic: Topic,
    command_template: Type.Optional(Template),
    state_topic: Type.Optional(Topic),
    value_template: Type.Optional(Template),
    payload_on: Type.Optional(Type.String()),
    payload_off: Type.Optional(Type.String()),
    state_on: Type.Optional(Type.String()),
    state_off: Type.Optional(Type.String()),
    optimistic: Type.Optional(Type.Boolean()),
    retain: Type.Optional(Type.Boolean()),
    device_class: Type.Optional(oneOf(['outlet', 'switch'])),
  }),
  number: closed({
    command_topic: Topic,
    command_template: Type.Optional(Template),
    state_topic: Type.Optional(Topic),
    value_template: Type.Optional(Template),
    min: Type.Optional(Type.Number()),
    max: Type.Optional(Type.Number()),
    step: Type.Optional(Type.Number({ exclusiveMinimum: 0 })),
    mode: Type.Optional(oneOf(['auto', 'box', 'slider'])),
    unit_of_measurement: Type.Optional(Type.String()),
    device_class: Type.Optional(Type.String()),
    optimistic: Type.Optional(Type.Boolean()),
    retain: Type.Optional(Type.Boolean()),
    payload_reset: Type.Optional(Type.String()),
  }),
  button: closed({
    command_topic: Type.Optional(Topic),
    command_template: Type.Optional(Template),
    payload_press: Type.Optional(Type.String()),
    device_class: Type.Optional(oneOf(['identify', 'restart', 'update'])),
    retain: Type.Optional(Type.Boolean()),
  }),
} as const;
