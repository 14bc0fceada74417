type Json = Record<string, unknown>;

/** The event with base64 audio replaced by its decoded size, for the bus. */
export function stripAudio(event: Json): Json {
  const strip = (value: unknown, key: string | undefined): unknown => {
    if (typeof value === 'string' && (key === 'audio' || (key === 'delta' && String(event.type).includes('audio.')))) {
      return `<${Math.floor((value.length * 3) / 4)} bytes of audio>`;
    }
    if (Array.isArray(value)) return value.map((entry) => strip(entry, undefined));
    if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, strip(v, k)]));
    return value;
  };
  return strip(event, undefined) as Json;
}
