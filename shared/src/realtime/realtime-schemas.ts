import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';

/**
 * The official event schemas of the realtime API (from OpenAI's OpenAPI specification, MIT,
 * converted to JSON Schema 2020-12), kept in `shared/schemas/`: GA (OpenAI, Azure v1) and beta
 * (Azure preview endpoints, Azure Voice Live, which add fields these schemas allow as extras).
 */
export type RealtimeDialect = 'ga' | 'beta';
export type EventSide = 'client' | 'server';

const SCHEMA_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'schemas');

interface SchemaFile {
  $defs: Record<string, { properties?: { type?: { enum?: string[]; const?: string } } }>;
}

interface DialectValidators {
  readonly byType: Map<string, ValidateFunction>;
  readonly ajv: Ajv2020;
}

const cache = new Map<string, DialectValidators>();

function validators(dialect: RealtimeDialect, side: EventSide): DialectValidators {
  const key = `${dialect}:${side}`;
  const cached = cache.get(key);
  if (cached) return cached;
  const file = JSON.parse(readFileSync(join(SCHEMA_DIR, `openai-realtime-${dialect}.schema.json`), 'utf8')) as SchemaFile;
  // The upstream schemas use keywords and formats Ajv's strict mode rejects.
  const ajv = new Ajv2020({ strict: false, allErrors: true, validateFormats: false });
  const id = `voxbus:realtime-${dialect}`;
  ajv.addSchema(file, id);
  const prefix = side === 'server' ? 'RealtimeServerEvent' : 'RealtimeClientEvent';
  const byType = new Map<string, ValidateFunction>();
  for (const [name, definition] of Object.entries(file.$defs)) {
    if (!name.startsWith(prefix)) continue;
    const type = definition.properties?.type?.const ?? definition.properties?.type?.enum?.[0];
    if (!type) continue;
    const validate = ajv.getSchema(`${id}#/$defs/${name}`);
    if (validate) byType.set(type, validate);
  }
  const built = { byType, ajv };
  cache.set(key, built);
  return built;
}

/** Event types the official schema defines for this dialect and side. */
export function realtimeEventTypes(dialect: RealtimeDialect, side: EventSide): string[] {
  return [...validators(dialect, side).byType.keys()];
}

/**
 * Returns undefined when `event` validates against the official schema of its `type`, else what
 * is wrong (an unknown type included).
 */
export function realtimeEventErrors(dialect: RealtimeDialect, side: EventSide, event: unknown): string | undefined {
  const type = (event as { type?: unknown } | null)?.type;
  if (typeof type !== 'string') return 'event has no string "type"';
  const { byType, ajv } = validators(dialect, side);
  const validate = byType.get(type);
  if (!validate) return `"${type}" is not a ${dialect} ${side} event`;
  if (validate(event)) return undefined;
  return `${type}: ${ajv.errorsText(validate.errors, { dataVar: 'event', separator: '; ' })}`;
}
