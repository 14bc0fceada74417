import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Type } from '@sinclair/typebox';
import { describe, expect, it } from 'vitest';
import { busPassword, CommonConfigSchema, ConfigError, loadConfig, redactSecrets, secretPaths } from '@voxbus/shared';
import { tempDir } from '../../test/helpers/temp-dir.js';

const schema = Type.Object(
  {
    chunkMs: Type.Integer({ minimum: 10, multipleOf: 10 }),
    device: Type.String(),
    enabled: Type.Boolean(),
    apiKey: Type.Optional(Type.String({ secret: true })),
  },
  { additionalProperties: false },
);
const defaults = { chunkMs: 20, device: 'default', enabled: true };

function file(content: unknown): string {
  const dir = tempDir('config');
  const path = join(dir, 'voxbus.json');
  writeFileSync(path, typeof content === 'string' ? content : JSON.stringify(content));
  return path;
}

const load = (env: Record<string, string>) => loadConfig({ service: 'audio-capture', schema, defaults, env });

describe('service configuration', () => {
  it('starts from the defaults, common and own', () => {
    const { common, own } = load({});
    expect(own).toEqual(defaults);
    expect(common).toMatchObject({ configVersion: 1, bus: { url: 'mqtt://127.0.0.1:1883', baseTopic: 'voxbus' }, log: { level: 'info' } });
  });

  it('layers the file over the defaults and the environment over the file, with types coerced', () => {
    const path = file({ configVersion: 1, bus: { baseTopic: 'voxbus/kitchen' }, 'audio-capture': { chunkMs: 40 }, dsp: { anything: 1 } });
    const { common, own } = load({
      VOXBUS_CONFIG: path,
      VOXBUS_AUDIO_CAPTURE__DEVICE: 'plughw:1,0',
      VOXBUS_AUDIO_CAPTURE__ENABLED: 'false',
      VOXBUS_BUS__KEEPALIVE_S: '30',
      VOXBUS_PLAYBACK__VOLUME: '0.5',
    });
    expect(own).toEqual({ chunkMs: 40, device: 'plughw:1,0', enabled: false });
    expect(common.bus).toMatchObject({ baseTopic: 'voxbus/kitchen', keepaliveS: 30 });
  });

  it("leaves the run command's own variables alone, and reads the descriptor it names for readiness", () => {
    const { common } = load({ VOXBUS_RUNNER_RESTART_DELAY_MS: '200', VOXBUS_RUNNER_STARTING_AT_ONCE: '2', VOXBUS_MODE: 'all-in-one', VOXBUS_READY_FD: '3' });
    expect(common.readyFd).toBe(3);
    expect(() => load({ VOXBUS_READY_FD: '1' }), 'standard output taken for the ready word').toThrow(/readyFd must be >= 3/);
  });

  it('freezes the result', () => {
    const { own, common } = load({});
    expect(Object.isFrozen(own)).toBe(true);
    expect(Object.isFrozen(common.bus)).toBe(true);
  });

  const bad: [string, Record<string, string>, RegExp][] = [
    ['a missing file', { VOXBUS_CONFIG: '/nonexistent/voxbus.json' }, /cannot read the config file \/nonexistent/],
    ['a file that is not JSON', { VOXBUS_CONFIG: file('{ chunkMs: 20') }, /not valid JSON/],
    ['a file without configVersion', { VOXBUS_CONFIG: file({ bus: {} }) }, /no "configVersion"/],
    ['a file of another version', { VOXBUS_CONFIG: file({ configVersion: 2 }) }, /configVersion 2; this build reads version 1/],
    ['an unknown top-level key', { VOXBUS_CONFIG: file({ configVersion: 1, colour: 'red' }) }, /unknown top-level key "colour"/],
    ['a misspelt field', { VOXBUS_CONFIG: file({ configVersion: 1, 'audio-capture': { chunkMS: 20 } }) }, /additional properties/],
    ['a value out of range', { VOXBUS_AUDIO_CAPTURE__CHUNK_MS: '15' }, /chunkMs must be multiple of 10/],
    ['a number that is not one', { VOXBUS_AUDIO_CAPTURE__CHUNK_MS: 'twenty' }, /CHUNK_MS="twenty" is not a number/],
    ['a boolean that is not one', { VOXBUS_AUDIO_CAPTURE__ENABLED: 'perhaps' }, /not a boolean/],
    ['an environment variable naming no setting', { VOXBUS_BUS_URL: 'mqtt://x' }, /VOXBUS_BUS_URL names no setting/],
    ['a bad log level', { VOXBUS_LOG__LEVEL: 'loud' }, /config\/log\/level/],
  ];
  it.each(bad)('refuses %s with a ConfigError that says what to fix', (_, env, why) => {
    expect(() => load(env)).toThrow(ConfigError);
    expect(() => load(env)).toThrow(why);
  });

  it('redacts secret fields for logs and describe, and lists their paths for the logger', () => {
    const { own } = load({ VOXBUS_AUDIO_CAPTURE__API_KEY: 'sk-live-123' });
    expect(own.apiKey).toBe('sk-live-123');
    expect(redactSecrets(schema, own)).toEqual({ ...defaults, apiKey: '***' });
    expect(JSON.stringify(redactSecrets(schema, own))).not.toContain('sk-live');
    expect(secretPaths(schema, 'config')).toEqual(['config.apiKey']);
  });

  it('redacts a login inside any URL (a password in VOXBUS_BUS__URL went out in every describe answer)', () => {
    const { common } = load({ VOXBUS_BUS__URL: 'mqtt://voxbus:hunter2@board.local:1883' });
    const shown = JSON.stringify(redactSecrets(CommonConfigSchema, common));
    expect(shown).not.toContain('hunter2');
    expect(shown).toContain('mqtt://***@board.local:1883');
    expect(redactSecrets(CommonConfigSchema, { ...common, bus: { ...common.bus, url: 'ws://board:9001/mqtt' } })).toMatchObject({ bus: { url: 'ws://board:9001/mqtt' } });
  });

  it('gives each service its own login from one setting: {service} in bus.username and bus.passwordFile', () => {
    const dir = tempDir('login');
    writeFileSync(join(dir, 'audio-capture.password'), 'capture-secret\n');
    const { common } = load({ VOXBUS_BUS__USERNAME: '{service}', VOXBUS_BUS__PASSWORD_FILE: join(dir, '{service}.password') });
    expect(common.bus.username).toBe('audio-capture');
    expect(common.bus.passwordFile).toBe(join(dir, 'audio-capture.password'));
    expect(busPassword(common.bus)).toBe('capture-secret');
    writeFileSync(join(dir, 'empty.password'), '\n');
    expect(() => busPassword({ passwordFile: join(dir, 'empty.password') })).toThrow(/is empty/);
    expect(() => busPassword({ passwordFile: join(dir, 'missing') })).toThrow(/cannot read the bus password file/);
    expect(() => busPassword({ password: 'x', passwordFile: join(dir, 'audio-capture.password') })).toThrow(/not both/);
    expect(busPassword({ password: 'plain' })).toBe('plain');
  });
});

describe("the contract's settings table", () => {
  it('names each common setting by the variable the loader reads for it', async () => {
    const { settingEnvName, settingsSection } = await import('../src/contract/render-settings.js');
    expect(settingEnvName(['bus', 'keepaliveS'])).toBe('VOXBUS_BUS__KEEPALIVE_S');
    expect(settingEnvName(['metricsIntervalMs'])).toBe('VOXBUS_METRICS_INTERVAL_MS');
    // Every row's variable, set to a valid value, lands on that row's setting.
    const samples: Record<string, [string, unknown]> = {
      'bus.keepaliveS': ['42', 42],
      'bus.maxPayloadBytes': ['65536', 65536],
      'bus.baseTopic': ['voxbus/den', 'voxbus/den'],
      'log.level': ['debug', 'debug'],
      metricsIntervalMs: ['2500', 2500],
      shutdownTimeoutMs: ['900', 900],
      healthFile: ['/tmp/health', '/tmp/health'],
    };
    const rows = settingsSection().filter((line) => line.startsWith('| `VOXBUS_'));
    expect(rows.length).toBeGreaterThanOrEqual(12);
    for (const [path, [raw, value]] of Object.entries(samples)) {
      const name = settingEnvName(path.split('.'));
      expect(rows.some((row) => row.startsWith(`| \`${name}\` | \`${path}\``)), `${name} in the table`).toBe(true);
      const { common } = load({ [name]: raw });
      const loaded = path.split('.').reduce<unknown>((at, level) => (at as Record<string, unknown>)[level], common);
      expect(loaded, name).toEqual(value);
    }
  });
});
