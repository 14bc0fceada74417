import type { TSchema } from '@sinclair/typebox';
import { Ajv, type ValidateFunction } from 'ajv';

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
  return ajv.errorsText(validate.errors, { dataVar, separator: '; ' });
}
