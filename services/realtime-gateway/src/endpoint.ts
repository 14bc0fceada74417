import { ConfigError, type RealtimeDialect } from '@voxbus/shared';
import type { GatewayConfig } from './config.js';

export type Provider = 'openai' | 'azure' | 'azure-preview' | 'voice-live' | 'sim';

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

/**
 * Where and how to connect (docs/realtime notes §1): OpenAI GA with a bearer key; Azure v1 (GA)
 * and the Azure preview (beta) with `api-key`; Voice Live (beta) with `api-key`; the sim as
 * OpenAI GA. Never the deprecated beta header, never a key in the URL.
 */
export function resolveEndpoint(config: GatewayConfig): ResolvedEndpoint {
  const provider: Provider = config.provider === 'auto' ? (config.apiKey ? 'openai' : 'sim') : config.provider;
  const simulated = config.provider === 'auto' && provider === 'sim';
  if (config.auth === 'entra-id') {
    if (provider !== 'azure' && provider !== 'azure-preview' && provider !== 'voice-live') {
      throw new ConfigError(`auth entra-id works with the Azure providers (azure, azure-preview, voice-live), not ${provider}`);
    }
    const keyless = resolveEndpoint({ ...config, auth: 'api-key', apiKey: 'entra' });
    const scope = config.entraScope || (provider === 'voice-live' ? 'https://ai.azure.com/.default' : 'https://cognitiveservices.azure.com/.default');
    return { ...keyless, headers: {}, entraScope: scope };
  }
  const needKey = provider !== 'sim';
  if (needKey && !config.apiKey) throw new ConfigError(`provider ${provider} needs an API key: set VOXBUS_REALTIME_GATEWAY__API_KEY`);
  const needBase = provider === 'azure' || provider === 'azure-preview' || provider === 'voice-live';
  if (needBase && !config.endpoint) throw new ConfigError(`provider ${provider} needs the endpoint base URL: set VOXBUS_REALTIME_GATEWAY__ENDPOINT (wss://<resource>…)`);
  const needVersion = provider === 'azure-preview' || provider === 'voice-live';
  if (needVersion && !config.apiVersion) throw new ConfigError(`provider ${provider} needs apiVersion (VOXBUS_REALTIME_GATEWAY__API_VERSION)`);
  switch (provider) {
    case 'openai':
      return {
        provider, dialect: 'ga', model: config.model, simulated,
        url: join(config.endpoint || 'wss://api.openai.com', 'v1/realtime', { model: config.model }),
        headers: { Authorization: `Bearer ${config.apiKey}` },
      };
    case 'sim':
      return {
        provider, dialect: 'ga', model: config.model, simulated,
        url: join(config.simUrl, 'v1/realtime', { model: config.model }),
        headers: { Authorization: `Bearer ${config.simApiKey}` },
      };
    case 'azure':
      return {
        provider, dialect: 'ga', model: config.model, simulated,
        url: join(config.endpoint, 'openai/v1/realtime', { model: config.model }),
        headers: { 'api-key': config.apiKey },
      };
    case 'azure-preview':
      return {
        provider, dialect: 'beta', model: config.model, simulated,
        url: join(config.endpoint, 'openai/realtime', { 'api-version': config.apiVersion, deployment: config.model }),
        headers: { 'api-key': config.apiKey },
      };
    case 'voice-live':
      return {
        provider, dialect: 'beta', model: config.model, simulated,
        url: join(config.endpoint, 'voice-live/realtime', { 'api-version': config.apiVersion, model: config.model }),
        headers: { 'api-key': config.apiKey },
      };
  }
}
