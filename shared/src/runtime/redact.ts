import type { TSchema } from '@sinclair/typebox';

export const REDACTED = '***';

/**
 * Returns a copy of `value` with every field whose schema carries `secret: true` replaced by
 * "***", for logs and for the `describe` response. Secrets never go on the bus or into logs.
 */
export function redactSecrets(schema: TSchema, value: unknown): unknown {
  if ((schema as { secret?: boolean }).secret === true) return value === undefined ? undefined : REDACTED;
  if (typeof value === 'string') return redactUrlLogin(value);
  if (value === null || typeof value !== 'object') return value;
  const properties = (schema as { properties?: Record<string, TSchema> }).properties;
  if (!properties || Array.isArray(value)) return value;
  const out: Record<string, unknown> = {};
  for (const [name, field] of Object.entries(value as Record<string, unknown>)) {
    const fieldSchema = properties[name];
    out[name] = fieldSchema ? redactSecrets(fieldSchema, field) : field;
  }
  return out;
}

/** A URL's login (`mqtt://user:pass@host`) is a secret wherever the URL sits: `mqtt://***@host`. */
export function redactUrlLogin(text: string): string {
  return text.replace(/^([a-z][a-z0-9+.-]*:\/\/)[^/?#@\s]*@/i, `$1${REDACTED}@`);
}

/** Secret field paths of a schema, in pino's redact-path form (`bus.password`). */
export function secretPaths(schema: TSchema, prefix = ''): string[] {
  if ((schema as { secret?: boolean }).secret === true) return prefix ? [prefix] : [];
  const properties = (schema as { properties?: Record<string, TSchema> }).properties;
  if (!properties) return [];
  return Object.entries(properties).flatMap(([name, field]) => secretPaths(field, prefix ? `${prefix}.${name}` : name));
}
