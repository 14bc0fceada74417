import { ConfigError, type RealtimeDialect } from '@voxbus/shared';
import type { GatewayConfig } from './config.js';
import { PROVIDERS, type Provider } from './providers.js';

export type { Provider } from './providers.js';

export interface ResolvedEndpoint {
  readonly provider: Provider;
  readonly dialect: RealtimeDialect;
  readonly model: string;
  /** No credentials in it, ever. */
  readonly url: string;
  /** Credentials travel here only (api keys); Entra ID tokens are added at each connect. */
  readonly headers: Readonly<Record<string, string>>;
  /** Set when the bearer token comes from Entra ID: the scope to ask for. */
  readonly entraScope?: string;
  /** True when `auto` fell back to the sim because no API key is configured. */
  readonly simulated: boolean;
}

function join(base: string, path: string, query: Record<string, string>): string {
  const url = new URL(path, base.endsWith('/') ? base : `${base}/`);
  for (const [key, value] of Object.entries(query)) url.searchParams.set(key, value);
  return url.toString();
}

/** Where and how to connect, from the provider table; a missing setting is a ConfigError naming it. */
export function resolveEndpoint(config: GatewayConfig): ResolvedEndpoint {
  const provider: Provider = config.provider === 'auto' ? (config.apiKey ? 'openai' : 'sim') : config.provider;
  const spec = PROVIDERS[provider];
  const simulated = config.provider === 'auto' && provider === 'sim';
  const entraScope = config.auth === 'entra-id' ? config.entraScope || spec.entraScope : undefined;
  if (config.auth === 'entra-id' && spec.entraScope === undefined) {
    const azure = Object.entries(PROVIDERS).filter(([, candidate]) => candidate.entraScope !== undefined).map(([name]) => name);
    throw new ConfigError(`auth entra-id works with the Azure providers (${azure.join(', ')}), not ${provider}`);
  }
  const key = spec.key(config);
  if (entraScope === undefined && !key) throw new ConfigError(`provider ${provider} needs an API key: set VOXBUS_REALTIME_GATEWAY__API_KEY`);
  const base = config.endpoint || spec.defaultBase?.(config) || '';
  if (!base) throw new ConfigError(`provider ${provider} needs the endpoint base URL: set VOXBUS_REALTIME_GATEWAY__ENDPOINT (wss://<resource>…)`);
  if (spec.needsApiVersion && !config.apiVersion) throw new ConfigError(`provider ${provider} needs apiVersion (VOXBUS_REALTIME_GATEWAY__API_VERSION)`);
  const endpoint = { provider, dialect: spec.dialect, model: config.model, simulated, url: join(base, spec.path, spec.query(config)) };
  if (entraScope !== undefined) return { ...endpoint, headers: {}, entraScope };
  return { ...endpoint, headers: spec.keyHeader(key) };
}
