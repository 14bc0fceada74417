import type { TSchema } from '@sinclair/typebox';
import { COMMON_DEFAULTS, CommonConfigSchema } from '../runtime/common-config.js';

/** A setting's environment variable: `VOXBUS_` + its path, each level in SCREAMING_SNAKE_CASE, joined by `__`. */
export function settingEnvName(path: readonly string[]): string {
  return `VOXBUS_${path.map((level) => level.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toUpperCase()).join('__')}`;
}

interface SettingRow {
  readonly path: string[];
  readonly schema: TSchema;
}

function leaves(schema: TSchema, path: string[]): SettingRow[] {
  const properties = (schema as { properties?: Record<string, TSchema> }).properties;
  if (schema.type !== 'object' || properties === undefined) return [{ path, schema }];
  return Object.entries(properties).flatMap(([name, child]) => leaves(child, [...path, name]));
}

function defaultAt(path: readonly string[]): unknown {
  let value: unknown = COMMON_DEFAULTS;
  for (const level of path) value = (value as Record<string, unknown> | undefined)?.[level];
  return value;
}

function typeOf(schema: TSchema): string {
  if (Array.isArray(schema.enum)) return (schema.enum as unknown[]).map((v) => `\`${String(v)}\``).join(' / ');
  if (schema.const !== undefined) return `\`${String(schema.const)}\``;
  return String(schema.type ?? 'any');
}

/**
 * The settings every service honours (the common section of its configuration), for the contract:
 * a replacement service in another language is configured by the same names.
 */
export function settingsSection(): string[] {
  const rows = leaves(CommonConfigSchema, []).filter((row) => row.path[0] !== 'configVersion');
  return [
    '## Settings every service honours',
    '',
    'A service is configured from its defaults, then the JSON file named by `VOXBUS_CONFIG` (with `"configVersion": 1`;',
    'the common settings at its top level, each service\'s own under its name), then environment variables: `VOXBUS_` and',
    'the setting\'s path, each level in SCREAMING_SNAKE_CASE, levels joined by `__` (`VOXBUS_PLAYBACK__DEVICE` is',
    '`playback.device`). A service ignores other services\' variables and exits with code 78 on a `VOXBUS_` name it does',
    'not know or a value that does not validate. A replacement honours at least these:',
    '',
    '| variable | setting | type | default | meaning |',
    '|---|---|---|---|---|',
    ...rows.map((row) => {
      const fallback = defaultAt(row.path);
      const description = (row.schema.description as string | undefined) ?? (row.schema.secret === true ? 'secret: never logged nor shown' : '');
      return `| \`${settingEnvName(row.path)}\` | \`${row.path.join('.')}\` | ${typeOf(row.schema)} | ${fallback === undefined ? 'unset' : `\`${JSON.stringify(fallback)}\``} | ${description.replaceAll('|', '\\|')} |`;
    }),
    '',
  ];
}
