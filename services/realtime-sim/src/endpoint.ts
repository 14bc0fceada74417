import type { RealtimeDialect, RealtimeProvider } from '@voxbus/shared';

/**
 * Which real endpoint a WebSocket upgrade is addressed to, told apart the way the real services
 * are (docs/realtime.md §1): OpenAI `/v1/realtime?model=` (GA); Azure OpenAI v1
 * `/openai/v1/realtime?model=` (GA); Azure OpenAI preview `/openai/realtime?api-version=&deployment=`
 * (beta); Azure Voice Live `/voice-live/realtime?api-version=&model=` (beta).
 */
export type Provider = Exclude<RealtimeProvider, 'sim'>;

export interface Endpoint {
  readonly provider: Provider;
  readonly dialect: RealtimeDialect;
  readonly model: string;
}

export interface UpgradeRequest {
  readonly url: string;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
}

/** Accepted, refused at the HTTP level, or accepted and then closed with an error (OpenAI's bad key). */
export type UpgradeDecision =
  | { readonly kind: 'accept'; readonly endpoint: Endpoint; readonly protocol?: string }
  | { readonly kind: 'refuse'; readonly status: number; readonly body: string }
  | { readonly kind: 'accept-then-close'; readonly endpoint: Endpoint; readonly protocol?: string; readonly code: number; readonly errorCode: string; readonly message: string };

function header(request: UpgradeRequest, name: string): string | undefined {
  const value = request.headers[name.toLowerCase()];
  return Array.isArray(value) ? value[0] : value;
}

function bearer(request: UpgradeRequest): string | undefined {
  const match = /^Bearer\s+(.+)$/i.exec(header(request, 'authorization') ?? '');
  return match?.[1]?.trim();
}

function httpError(status: number, code: string, message: string): UpgradeDecision {
  return { kind: 'refuse', status, body: JSON.stringify({ error: { type: 'invalid_request_error', code, message, param: null } }) };
}

/** Decides an upgrade. `apiKey` is the key the sim accepts (as api key and as bearer token). */
export function decideUpgrade(request: UpgradeRequest, apiKey: string): UpgradeDecision {
  const url = new URL(request.url, 'http://sim');
  const query = url.searchParams;
  const protocols = (header(request, 'sec-websocket-protocol') ?? '').split(',').map((p) => p.trim()).filter(Boolean);

  let provider: Provider;
  let dialect: RealtimeDialect;
  let model: string | null;
  switch (url.pathname) {
    case '/v1/realtime':
      provider = 'openai';
      dialect = 'ga';
      model = query.get('model');
      break;
    case '/openai/v1/realtime':
      provider = 'azure';
      dialect = 'ga';
      model = query.get('model');
      break;
    case '/openai/realtime':
      provider = 'azure-preview';
      dialect = 'beta';
      model = query.get('deployment');
      if (!query.get('api-version')) return httpError(400, 'missing_required_parameter', "Missing required query parameter 'api-version'.");
      break;
    case '/voice-live/realtime':
      provider = 'voice-live';
      dialect = 'beta';
      model = query.get('model');
      if (!query.get('api-version')) return httpError(400, 'missing_required_parameter', "Missing required query parameter 'api-version'.");
      break;
    default:
      return httpError(404, 'not_found', `No realtime endpoint at ${url.pathname}.`);
  }
  if (!model) {
    return httpError(400, 'missing_required_parameter', `Missing required query parameter '${provider === 'azure-preview' ? 'deployment' : 'model'}'.`);
  }
  const endpoint: Endpoint = { provider, dialect, model };

  if (provider === 'openai') {
    // Headers, or (browsers) the subprotocol `openai-insecure-api-key.<key>`; the server selects `realtime`.
    const fromProtocol = protocols.find((p) => p.startsWith('openai-insecure-api-key.'))?.slice('openai-insecure-api-key.'.length);
    const key = bearer(request) ?? fromProtocol;
    const protocol = protocols.includes('realtime') ? 'realtime' : undefined;
    const withProtocol = protocol ? { protocol } : {};
    if (key === undefined) return httpError(401, 'missing_api_key', 'You did not provide an API key.');
    if (key !== apiKey) {
      return { kind: 'accept-then-close', endpoint, ...withProtocol, code: 3000, errorCode: 'invalid_api_key', message: 'Incorrect API key provided.' };
    }
    // The beta interface was shut down: its header now gets an error and close 4000.
    if (header(request, 'openai-beta') === 'realtime=v1') {
      return {
        kind: 'accept-then-close',
        endpoint,
        ...withProtocol,
        code: 4000,
        errorCode: 'beta_api_shape_disabled',
        message: 'The Realtime API beta shape has been disabled. Remove the OpenAI-Beta header to use the GA interface.',
      };
    }
    return { kind: 'accept', endpoint, ...withProtocol };
  }

  // Azure: `api-key` header, Entra ID bearer token, or (browsers) `api-key` in the query.
  const key = header(request, 'api-key') ?? bearer(request) ?? query.get('api-key') ?? undefined;
  if (key === undefined) {
    return { kind: 'refuse', status: 401, body: JSON.stringify({ error: { code: '401', message: 'Access denied due to missing subscription key or bearer token.' } }) };
  }
  if (key !== apiKey) {
    return { kind: 'refuse', status: 401, body: JSON.stringify({ error: { code: '401', message: 'Access denied due to invalid subscription key or wrong API endpoint.' } }) };
  }
  return { kind: 'accept', endpoint };
}
