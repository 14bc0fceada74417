import { readFileSync } from 'node:fs';
import { type Static, type TObject, type TSchema, Type } from '@sinclair/typebox';
import { KNOWN_SERVICES } from '../contract/contract.js';
import { schemaErrors } from '../contract/validate.js';
import { ConfigError, errorMessage } from '../errors.js';
import { COMMON_DEFAULTS, type CommonConfig, CommonConfigSchema } from './common-config.js';

/** Environment variables that are not config paths. */
const RESERVED_ENV = new Set(['VOXBUS_CONFIG', 'VOXBUS_SERVICES', 'VOXBUS_MODE', 'VOXBUS_BROKER', 'VOXBUS_RUNNER_RESTART_DELAY_MS', 'VOXBUS_RUNNER_STARTING_AT_ONCE']);
const ENV_PREFIX = 'VOXBUS_';

export interface LoadedConfig<S extends TSchema> {
  readonly common: Readonly<CommonConfig>;
  /** This service's own section. */
  readonly own: Readonly<Static<S>>;
}

export interface LoadConfigOptions<S extends TObject> {
  readonly service: string;
  readonly schema: S;
  readonly defaults: Static<S>;
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** The login `{service}` stands for in the bus settings, when not the service's own (a stand-in's: its host's). */
  readonly login?: string;
}

type Json = Record<string, unknown>;

/**
 * Builds a service's configuration: defaults, then the JSON file named by `VOXBUS_CONFIG`,
 * then `VOXBUS_*` environment variables; validates it and freezes it. One file can configure
 * every service: each reads the common sections and its own, and ignores other services'.
 *
 * Environment names: `VOXBUS_` + the path, each level in SCREAMING_SNAKE_CASE, levels joined
 * by `__`: `VOXBUS_BUS__URL`, `VOXBUS_METRICS_INTERVAL_MS`, `VOXBUS_BROKER__TCP_PORT`.
 */
export function loadConfig<S extends TObject>(options: LoadConfigOptions<S>): LoadedConfig<S> {
  const env = options.env ?? process.env;
  const fullSchema = configSchemaFor(options.service, options.schema);
  const merged: Json = structuredClone({ ...COMMON_DEFAULTS, [options.service]: options.defaults }) as Json;

  const file = env.VOXBUS_CONFIG;
  if (file) deepMerge(merged, readConfigFile(file, options.service));
  applyEnv(merged, env, options.service, fullSchema);

  const errors = schemaErrors(fullSchema, merged, 'config');
  if (errors) throw new ConfigError(`invalid configuration for ${options.service}: ${errors}`);
  const { [options.service]: own, ...common } = merged;
  return { common: deepFreeze(withOwnLogin(common as CommonConfig, options.login ?? options.service)), own: deepFreeze(own) as Static<S> };
}

/** The whole configuration a service reads: the common sections and its own (the build compiles its validator). */
export function configSchemaFor(service: string, schema: TObject): TObject {
  return Type.Object({ ...CommonConfigSchema.properties, [service]: schema }, { additionalProperties: false });
}

function readConfigFile(path: string, service: string): Json {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new ConfigError(`cannot read the config file ${path} (VOXBUS_CONFIG): ${errorMessage(error)}`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new ConfigError(`config file ${path} is not valid JSON: ${errorMessage(error)}`);
  }
  if (!isObject(parsed)) throw new ConfigError(`config file ${path} must hold a JSON object`);
  if (parsed.configVersion === undefined) {
    throw new ConfigError(`config file ${path} has no "configVersion"; this build reads version ${COMMON_DEFAULTS.configVersion}`);
  }
  if (parsed.configVersion !== COMMON_DEFAULTS.configVersion) {
    throw new ConfigError(
      `config file ${path} has configVersion ${JSON.stringify(parsed.configVersion)}; this build reads version ${COMMON_DEFAULTS.configVersion}`,
    );
  }
  const commonKeys = Object.keys(CommonConfigSchema.properties);
  const kept: Json = {};
  for (const [key, value] of Object.entries(parsed)) {
    if (commonKeys.includes(key) || key === service) kept[key] = value;
    else if (!(KNOWN_SERVICES as readonly string[]).includes(key)) {
      throw new ConfigError(`config file ${path}: unknown top-level key "${key}" (known: ${[...commonKeys, ...KNOWN_SERVICES].join(', ')})`);
    }
  }
  return kept;
}

function camel(snake: string): string {
  return snake.toLowerCase().replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());
}

function applyEnv(target: Json, env: Readonly<Record<string, string | undefined>>, service: string, schema: TSchema): void {
  const serviceEnv = service.toUpperCase().replace(/-/g, '_');
  const otherServices = new Set(KNOWN_SERVICES.map((name) => name.toUpperCase().replace(/-/g, '_')));
  for (const [name, raw] of Object.entries(env)) {
    // VOXBUS_REPLACE_<SERVICE>: the run command's, naming a command line that stands in for a service.
    if (!name.startsWith(ENV_PREFIX) || RESERVED_ENV.has(name) || name.startsWith('VOXBUS_REPLACE_') || raw === undefined) continue;
    const levels = name.slice(ENV_PREFIX.length).split('__');
    const first = levels[0] as string;
    let path: string[];
    if (first === serviceEnv) path = [service, ...levels.slice(1).map(camel)];
    else if (otherServices.has(first)) continue; // another service's setting, from a shared environment
    else path = levels.map(camel);
    const fieldSchema = schemaAt(schema, path);
    if (!fieldSchema) throw new ConfigError(`environment variable ${name} names no setting (${path.join('.')})`);
    setAt(target, path, coerce(name, raw, fieldSchema));
  }
}

function schemaAt(schema: TSchema, path: string[]): TSchema | undefined {
  let node: TSchema | undefined = schema;
  for (const level of path) {
    const properties: Record<string, TSchema> | undefined = (node as { properties?: Record<string, TSchema> } | undefined)?.properties;
    node = properties?.[level];
    if (!node) return undefined;
  }
  return node;
}

function schemaType(schema: TSchema): string | undefined {
  if (typeof schema.type === 'string') return schema.type;
  const options = (schema.anyOf ?? []) as TSchema[];
  const literal = options.find((o) => o.const !== undefined);
  if (literal) return typeof literal.const;
  return options.map(schemaType).find((type) => type !== undefined);
}

function coerce(name: string, raw: string, schema: TSchema): unknown {
  const type = schemaType(schema) ?? ('const' in schema ? typeof schema.const : undefined);
  switch (type) {
    case 'integer':
    case 'number': {
      const value = Number(raw);
      if (raw.trim() === '' || !Number.isFinite(value)) throw new ConfigError(`environment variable ${name}="${raw}" is not a number`);
      return value;
    }
    case 'boolean':
      if (['true', '1', 'yes'].includes(raw.toLowerCase())) return true;
      if (['false', '0', 'no'].includes(raw.toLowerCase())) return false;
      throw new ConfigError(`environment variable ${name}="${raw}" is not a boolean (true/false)`);
    case 'object':
    case 'array':
      try {
        return JSON.parse(raw);
      } catch (error) {
        throw new ConfigError(`environment variable ${name} is not valid JSON: ${errorMessage(error)}`);
      }
    default:
      return raw;
  }
}

function isObject(value: unknown): value is Json {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function deepMerge(target: Json, source: Json): void {
  for (const [key, value] of Object.entries(source)) {
    const existing = target[key];
    if (isObject(existing) && isObject(value)) deepMerge(existing, value);
    else target[key] = structuredClone(value);
  }
}

function setAt(target: Json, path: string[], value: unknown): void {
  let node = target;
  for (const level of path.slice(0, -1)) {
    if (!isObject(node[level])) node[level] = {};
    node = node[level] as Json;
  }
  node[path[path.length - 1] as string] = value;
}

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object') {
    for (const child of Object.values(value)) deepFreeze(child);
    Object.freeze(value);
  }
  return value;
}

/** A file a setting names (a certificate, a key), read now: unreadable, it is a ConfigError naming the setting and the path. */
export function readSettingFile(path: string, what: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    throw new ConfigError(`cannot read the ${what} ${path}: ${errorMessage(error)}`);
  }
}

/** The bus password: `bus.password`, or the first line of `bus.passwordFile` (both set is a mistake). */
export function busPassword(bus: { readonly password?: string; readonly passwordFile?: string }): string | undefined {
  if (bus.passwordFile === undefined) return bus.password;
  if (bus.password !== undefined) throw new ConfigError('set bus.password or bus.passwordFile, not both');
  const password = readSettingFile(bus.passwordFile, 'bus password file (bus.passwordFile)').split('\n')[0]?.trim() ?? '';
  if (password === '') throw new ConfigError(`the bus password file ${bus.passwordFile} is empty`);
  return password;
}

/** What a client logs in to the bus with: its name, its password and the CA it trusts, read from the common settings. */
export function busLogin(bus: { readonly username?: string; readonly password?: string; readonly passwordFile?: string; readonly caFile?: string }): {
  username: string | undefined;
  password: string | undefined;
  ca: string | undefined;
} {
  return {
    username: bus.username,
    password: busPassword(bus),
    ca: bus.caFile === undefined ? undefined : readSettingFile(bus.caFile, 'bus CA file (bus.caFile)'),
  };
}

/**
 * `{service}` in `bus.username` and `bus.passwordFile` is the service's name: one setting for the
 * whole stack (`VOXBUS_BUS__USERNAME={service}`, `…__PASSWORD_FILE=/etc/voxbus/credentials/{service}.password`)
 * gives each service its own login, all-in-one mode included.
 */
function withOwnLogin(common: CommonConfig, service: string): CommonConfig {
  const own = (value: string | undefined) => value?.replaceAll('{service}', service);
  const { username, passwordFile, ...bus } = common.bus;
  const login = { ...(username !== undefined ? { username: own(username) as string } : {}), ...(passwordFile !== undefined ? { passwordFile: own(passwordFile) as string } : {}) };
  return { ...common, bus: { ...bus, ...login } };
}
