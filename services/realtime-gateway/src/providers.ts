import type { RealtimeDialect, RealtimeProvider } from '@voxbus/shared';
import type { GatewayConfig } from './config.js';

export type Provider = RealtimeProvider;

/** How one realtime service is reached. Adding a provider is adding an entry here (and its test). */
export interface ProviderSpec {
  readonly dialect: RealtimeDialect;
  /** Where the path is joined when `endpoint` is empty; undefined: the endpoint must be configured. */
  readonly defaultBase?: (config: GatewayConfig) => string;
  readonly path: string;
  readonly query: (config: GatewayConfig) => Record<string, string>;
  /** The header that carries the key. */
  readonly keyHeader: (key: string) => Record<string, string>;
  /** Which configured key it takes (the sim has its own, so the real key never goes to it). */
  readonly key: (config: GatewayConfig) => string;
  /** Needs `apiVersion` in the query. */
  readonly needsApiVersion: boolean;
  /** The Entra ID token scope, for providers that take `auth: entra-id`. */
  readonly entraScope?: string;
  /** Takes Voice Live's own session fields (Azure voices, azure_* VAD, deep noise suppression, echo cancellation). */
  readonly voiceLiveFields: boolean;
}

const bearer = (key: string) => ({ Authorization: `Bearer ${key}` });
const apiKey = (key: string) => ({ 'api-key': key });
const configuredKey = (config: GatewayConfig) => config.apiKey;
const modelQuery = (config: GatewayConfig) => ({ model: config.model });
const COGNITIVE_SERVICES = 'https://cognitiveservices.azure.com/.default';

/**
 * The realtime services (docs/realtime.md §1): OpenAI GA with a bearer key; Azure v1 (GA)
 * and the Azure preview (beta) with `api-key`; Voice Live (beta) with `api-key`; the sim as
 * OpenAI GA. Never the deprecated beta header, never a key in the URL.
 */
export const PROVIDERS: Readonly<Record<Provider, ProviderSpec>> = {
  openai: {
    dialect: 'ga', defaultBase: () => 'wss://api.openai.com', path: 'v1/realtime', query: modelQuery, key: configuredKey, keyHeader: bearer,
    needsApiVersion: false, voiceLiveFields: false,
  },
  sim: {
    dialect: 'ga', defaultBase: (config) => config.simUrl, path: 'v1/realtime', query: modelQuery, key: (config) => config.simApiKey, keyHeader: bearer,
    needsApiVersion: false, voiceLiveFields: false,
  },
  azure: {
    dialect: 'ga', path: 'openai/v1/realtime', query: modelQuery, key: configuredKey, keyHeader: apiKey,
    needsApiVersion: false, entraScope: COGNITIVE_SERVICES, voiceLiveFields: false,
  },
  'azure-preview': {
    dialect: 'beta', path: 'openai/realtime', query: (config) => ({ 'api-version': config.apiVersion, deployment: config.model }), key: configuredKey, keyHeader: apiKey,
    needsApiVersion: true, entraScope: COGNITIVE_SERVICES, voiceLiveFields: false,
  },
  'voice-live': {
    dialect: 'beta', path: 'voice-live/realtime', query: (config) => ({ 'api-version': config.apiVersion, model: config.model }), key: configuredKey, keyHeader: apiKey,
    needsApiVersion: true, entraScope: 'https://ai.azure.com/.default', voiceLiveFields: true,
  },
};
