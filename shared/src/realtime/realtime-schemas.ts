import * as beta from '../../generated/realtime-beta.js';
import * as ga from '../../generated/realtime-ga.js';
import type { GeneratedValidator } from '../../generated/realtime-ga.js';

/**
 * The official event schemas of the realtime API (from OpenAI's OpenAPI specification, MIT,
 * converted to JSON Schema 2020-12), kept in `shared/schemas/`: GA (OpenAI, Azure v1) and beta
 * (Azure preview endpoints, Azure Voice Live, which add fields these schemas allow as extras).
 * Their validators are compiled at build time (shared/scripts/compile-realtime-validators.mjs):
 * compiling session.update's alone at run time cost 0.3 s of CPU here, between the service's
 * session.created and the gateway's first session.update.
 */
export type RealtimeDialect = 'ga' | 'beta';
export type EventSide = 'client' | 'server';

type DialectValidators = Readonly<Record<EventSide, Readonly<Record<string, GeneratedValidator>>>>;
const LOADERS: Readonly<Record<RealtimeDialect, () => DialectValidators>> = { ga: ga.load, beta: beta.load };
const loaded: Partial<Record<RealtimeDialect, DialectValidators>> = {};
/** A dialect's validators, made when first asked for: a gateway speaks one of the two. */
function validatorsOf(dialect: RealtimeDialect): DialectValidators {
  loaded[dialect] ??= LOADERS[dialect]();
  return loaded[dialect];
}

/**
 * The beta schema (OpenAI's April 2025 specification) lags the real beta traffic on six points,
 * which the sim and the gateway follow (docs/realtime.md §2 and §3; the beta capture in
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

/** Makes a dialect's validators now (a gateway as it starts), so that its first event does not pay for it (~4 ms here). */
export function prepareRealtimeValidators(dialect: RealtimeDialect): void {
  validatorsOf(dialect);
}

/** Event types the official schema defines for this dialect and side. */
export function realtimeEventTypes(dialect: RealtimeDialect, side: EventSide): string[] {
  return Object.keys(validatorsOf(dialect)[side]);
}

/**
 * Returns undefined when `event` validates against the official schema of its `type`, else what
 * is wrong (an unknown type included). Beta events are checked in their schema form (above).
 */
export function realtimeEventErrors(dialect: RealtimeDialect, side: EventSide, event: unknown): string | undefined {
  const type = (event as { type?: unknown } | null)?.type;
  if (typeof type !== 'string') return 'event has no string "type"';
  const validators = validatorsOf(dialect)[side];
  const validate = Object.hasOwn(validators, type) ? validators[type] : undefined;
  if (!validate) return `"${type}" is not a ${dialect} ${side} event`;
  if (validate(dialect === 'beta' ? betaSchemaForm(event as Record<string, unknown>) : event)) return undefined;
  // As Ajv's errorsText words it: where (event/session/…), then what.
  return `${type}: ${(validate.errors ?? []).map((error) => `event${error.instancePath} ${error.message ?? 'is invalid'}`).join('; ')}`;
}
