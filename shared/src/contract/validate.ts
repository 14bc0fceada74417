import { type TSchema, type TUnsafe, Type } from '@sinclair/typebox';
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';

/**
 * A closed set of strings as a JSON Schema `enum` (rather than an `anyOf` of constants), so a
 * wrong value is reported once, with the values allowed.
 */
export function StringEnum<const T extends readonly string[]>(values: T, options: { description?: string } = {}): TUnsafe<T[number]> {
  return Type.Unsafe<T[number]>({ type: 'string', enum: [...values], ...options });
}

/**
 * One Ajv instance for every contract and config schema. `secret` is our annotation for
 * values that must never reach the bus or a log (see runtime/redact.ts).
 */
const ajv = new Ajv({ allErrors: true, strict: true, keywords: ['secret'] });
const compiled = new WeakMap<TSchema, ValidateFunction>();

function validatorFor(schema: TSchema): ValidateFunction {
  let validate = compiled.get(schema);
  if (!validate) {
    validate = ajv.compile(schema);
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
