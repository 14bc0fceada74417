import { hostname, networkInterfaces } from 'node:os';

/**
 * The names and addresses this board answers to: loopback, its hostname (and `.local`), the
 * addresses of its interfaces, and `broker.host` when it names one. A page served from any of
 * them is the board's own.
 */
export function boardHosts(brokerHost: string): Set<string> {
  const hosts = new Set(['localhost', '127.0.0.1', '::1', hostname(), `${hostname()}.local`]);
  for (const addresses of Object.values(networkInterfaces())) for (const address of addresses ?? []) hosts.add(address.address);
  if (brokerHost !== '0.0.0.0' && brokerHost !== '::') hosts.add(brokerHost);
  return new Set([...hosts].map((host) => host.toLowerCase()));
}

/**
 * Whether a WebSocket upgrade may proceed, by its `Origin` header. A browser always sends one: a
 * page from elsewhere on the LAN or the internet must not drive the bus with a visitor's stored
 * login, nor reach an open loopback broker from the visitor's own machine. The Origin's host is
 * checked against the board's own names (`boardHosts`), never against the request's `Host`
 * header, which a DNS-rebinding page controls as well. Allowed: no Origin (not a browser:
 * mqtt.js, the CLI), a page from the board itself, and the configured `allowedOrigins` (`*` any).
 */
export function originAllowed(origin: string | undefined, allowedOrigins: readonly string[], hosts: ReadonlySet<string>): boolean {
  if (origin === undefined || origin === '') return true;
  if (allowedOrigins.includes('*') || allowedOrigins.includes(origin)) return true;
  try {
    return hosts.has(new URL(origin).hostname.replace(/^\[|\]$/g, '').toLowerCase());
  } catch {
    return false;
  }
}
