import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';

/**
 * The official event schemas of the realtime API (from OpenAI's OpenAPI specification, MIT,
 * converted to JSON Schema 2020-12), kept in `shared/schemas/`: GA (OpenAI, Azure v1) and beta
 * (Azure preview endpoints, Azure Voice Live, which add fields these schemas allow as extras).
 */
export type RealtimeDialect = 'ga' | 'beta';
export type EventSide = 'client' | 'server';

// Found through the package, not this module's place: a service's bundle holds this code elsewhere.
const SCHEMA_DIR = join(dirname(createRequire(import.meta.url).resolve('@voxbus/shared/package.json')), 'schemas');

interface SchemaFile {
  $defs: Record<string, { properties?: { type?: { enum?: string[]; const?: string } } }>;
}

interface DialectValidators {
  /** Each event type's definition in the schema file, by type. */
  readonly definitions: Map<string, string>;
  /** Validators compiled so far, by type: each on its first use (compiling all of them took a second of a service's start). */
  readonly byType: Map<string, ValidateFunction>;
  readonly ajv: Ajv2020;
  readonly id: string;
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
  const definitions = new Map<string, string>();
  for (const [name, definition] of Object.entries(file.$defs)) {
    if (!name.startsWith(prefix)) continue;
    const type = definition.properties?.type?.const ?? definition.properties?.type?.enum?.[0];
    if (type) definitions.set(type, name);
  }
  const built = { definitions, byType: new Map<string, ValidateFunction>(), ajv, id };
  cache.set(key, built);
  return built;
}

/** The validator of one event type, compiled on first use; undefined for a type the schema does not define. */
function validatorOf(validators: DialectValidators, type: string): ValidateFunction | undefined {
  const compiled = validators.byType.get(type);
  if (compiled) return compiled;
  const name = validators.definitions.get(type);
  const validate = name === undefined ? undefined : validators.ajv.getSchema(`${validators.id}#/$defs/${name}`);
  if (validate) validators.byType.set(type, validate);
  return validate;
}

/**
 * The beta schema (OpenAI's April 2025 specification) lags the real beta traffic on six points,
 * which the sim and the gateway follow (the protocol notes §3.3, §3.4, §2.6; the beta capture in
 * liusida/dictionary shows the first two). Each is rewritten to its schema form before
 * validation, so every other constraint of the schema still applies:
 * 1. `status: "in_progress"` on `response.created` and on items being written (the schema lists
 *    final statuses only);
 * 2. assistant audio content `{type:"audio", transcript}` in items (the schema's item content
 *    has `text`, not `audio`);
 * 3. Voice Live's own values: voice objects (`{type:"openai", name}`), `azure_*` turn detection
 *    and `azure_deep_noise_suppression` (the schema knows OpenAI's voice strings and types);
 * 4. model names newer than the schema's 2024 list (Voice Live's `gpt-realtime`);
 * 5. `previous_item_id: null` for the first item (the schema requires a string);
 * 6. `turn_detection: null`, which turns detection off (the schema's own description says it
 *    "can be set to `null` to turn off", but its type lost the null).
 */
function betaSchemaForm(event: Record<string, unknown>): Record<string, unknown> {
  const copy = structuredClone(event);
  if (copy.previous_item_id === null) copy.previous_item_id = '';
  const fixItem = (item: Record<string, unknown> | undefined) => {
    if (!item) return;
    if (item.status === 'in_progress') delete item.status;
    if (Array.isArray(item.content)) {
      item.content = (item.content as Record<string, unknown>[]).map((part) =>
        part.type === 'audio' ? { type: 'text', text: part.transcript } : part,
      );
    }
  };
  const fixHolder = (holder: Record<string, unknown> | undefined) => {
    if (!holder) return;
    if (holder.status === 'in_progress') delete holder.status;
    if (holder.voice !== undefined && typeof holder.voice !== 'string') holder.voice = 'alloy';
    if (holder.turn_detection === null) delete holder.turn_detection;
    const turn = holder.turn_detection as { type?: string } | undefined;
    if (turn?.type?.startsWith('azure_')) turn.type = 'server_vad';
    const noise = holder.input_audio_noise_reduction as { type?: string } | undefined;
    if (noise?.type === 'azure_deep_noise_suppression') noise.type = 'near_field';
    if (typeof holder.model === 'string') holder.model = 'gpt-4o-realtime-preview';
    if (Array.isArray(holder.output)) for (const item of holder.output as Record<string, unknown>[]) fixItem(item);
  };
  fixItem(copy.item as Record<string, unknown> | undefined);
  fixHolder(copy.response as Record<string, unknown> | undefined);
  fixHolder(copy.session as Record<string, unknown> | undefined);
  return copy;
}

/** Event types the official schema defines for this dialect and side. */
export function realtimeEventTypes(dialect: RealtimeDialect, side: EventSide): string[] {
  return [...validators(dialect, side).definitions.keys()];
}

/**
 * Returns undefined when `event` validates against the official schema of its `type`, else what
 * is wrong (an unknown type included). Beta events are checked in their schema form (above).
 */
export function realtimeEventErrors(dialect: RealtimeDialect, side: EventSide, event: unknown): string | undefined {
  const type = (event as { type?: unknown } | null)?.type;
  if (typeof type !== 'string') return 'event has no string "type"';
  const dialectValidators = validators(dialect, side);
  const validate = validatorOf(dialectValidators, type);
  if (!validate) return `"${type}" is not a ${dialect} ${side} event`;
  if (validate(dialect === 'beta' ? betaSchemaForm(event as Record<string, unknown>) : event)) return undefined;
  return `${type}: ${dialectValidators.ajv.errorsText(validate.errors, { dataVar: 'event', separator: '; ' })}`;
}
