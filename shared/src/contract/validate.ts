import { createHash } from 'node:crypto';
import { createRequire } from 'node:module';
import { type TSchema, type TUnsafe, Type } from '@sinclair/typebox';
import type { ErrorObject, Options, ValidateFunction } from 'ajv';
import { PRECOMPILED } from '../../generated/schema-validators.js';

/**
 * A closed set of strings as a JSON Schema `enum` (rather than an `anyOf` of constants), so a
 * wrong value is reported once, with the values allowed.
 */
export function StringEnum<const T extends readonly string[]>(values: T, options: { description?: string } = {}): TUnsafe<T[number]> {
  return Type.Unsafe<T[number]>({ type: 'string', enum: [...values], ...options });
}

/** A validator compiled at build time (shared/scripts/compile-schema-validators.mjs). */
type Precompiled = Pick<ValidateFunction, 'errors'> & ((data: unknown) => boolean);

/**
 * What a schema's validator is found by: its JSON (the TypeBox builders give the same JSON for
 * the same declaration), hashed. The build compiles every contract and configuration schema's
 * validator under this key.
 */
export function schemaKey(schema: TSchema): string {
  return createHash('sha256').update(JSON.stringify(schema)).digest('base64url');
}

/**
 * One Ajv instance for every schema the build did not compile (a schema of a test, or of a
 * service changed since the last full build), made on first need. `secret` is our annotation
 * for values that must never reach the bus or a log (see runtime/redact.ts).
 *
 * Ajv itself is loaded only then (the bundles leave it outside: deploy/bundle-externals.mjs):
 * evaluated, it held 1.6 MiB of each process's heap for schemas every service had precompiled.
 */
type AjvInstance = import('ajv').Ajv;
let ajv: AjvInstance | undefined;
export const AJV_OPTIONS: Options = { allErrors: true, strict: true, keywords: ['secret'] };
function runTimeAjv(): AjvInstance {
  if (!ajv) {
    const { Ajv } = createRequire(import.meta.url)('ajv') as typeof import('ajv');
    ajv = new Ajv(AJV_OPTIONS);
  }
  return ajv;
}
const compiled = new WeakMap<TSchema, Precompiled>();

/**
 * Compiling a validator at start cost each service 25–30 % of its start-up CPU (the Ajv code
 * generation for its configuration alone); the build's are used when there is one for the schema.
 */
function validatorFor(schema: TSchema): Precompiled {
  let validate = compiled.get(schema);
  if (!validate) {
    const key = schemaKey(schema);
    validate = Object.hasOwn(PRECOMPILED, key) ? (PRECOMPILED[key] as Precompiled) : runTimeAjv().compile(schema);
    compiled.set(schema, validate);
  }
  return validate;
}

/** Returns undefined when `value` validates, else a readable list of what is wrong. */
export function schemaErrors(schema: TSchema, value: unknown, dataVar = 'payload'): string | undefined {
  const validate = validatorFor(schema);
  if (validate(value)) return undefined;
  return formatErrors(validate.errors ?? [], dataVar);
}

function formatErrors(errors: ErrorObject[], dataVar: string): string {
  const lines = errors.map((error) => {
    const where = `${dataVar}${error.instancePath}`;
    if (error.keyword === 'enum') {
      return `${where} must be one of ${(error.params as { allowedValues: unknown[] }).allowedValues.map((v) => JSON.stringify(v)).join(', ')}`;
    }
    if (error.keyword === 'additionalProperties') {
      return `${where} has an unknown field "${(error.params as { additionalProperty: string }).additionalProperty}" (must NOT have additional properties)`;
    }
    return `${where} ${error.message ?? 'is invalid'}`;
  });
  return [...new Set(lines)].join('; ');
}
