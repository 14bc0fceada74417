/**
 * Whether a WebSocket upgrade may proceed, by its `Origin` header. A browser always sends one: a
 * page from elsewhere on the LAN or the internet must not drive the bus with a visitor's stored
 * login. Allowed: no Origin (not a browser: mqtt.js, the CLI), the broker's own page (same host
 * and port), and the configured `allowedOrigins` (`*` allows any).
 */
export function originAllowed(origin: string | undefined, host: string | undefined, allowedOrigins: readonly string[]): boolean {
  if (origin === undefined || origin === '') return true;
  if (allowedOrigins.includes('*') || allowedOrigins.includes(origin)) return true;
  try {
    return host !== undefined && new URL(origin).host === host;
  } catch {
    return false;
  }
}
