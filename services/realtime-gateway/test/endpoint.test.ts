import { describe, expect, it } from 'vitest';
import { ConfigError } from '@voxbus/shared';
import { GATEWAY_DEFAULTS, type GatewayConfig } from '../src/config.js';
import { resolveEndpoint } from '../src/endpoint.js';

const config = (overrides: Partial<GatewayConfig>): GatewayConfig => ({ ...GATEWAY_DEFAULTS, ...overrides });

describe('endpoint resolution', () => {
  it('addresses each provider as its real endpoint, with the key in a header and never in the URL', () => {
    const cases = [
      [config({ provider: 'openai', apiKey: 'sk-1' }), 'ga', 'wss://api.openai.com/v1/realtime?model=gpt-realtime', { Authorization: 'Bearer sk-1' }],
      [config({ provider: 'azure', apiKey: 'k2', endpoint: 'wss://res.openai.azure.com', model: 'dep' }), 'ga', 'wss://res.openai.azure.com/openai/v1/realtime?model=dep', { 'api-key': 'k2' }],
      [config({ provider: 'azure-preview', apiKey: 'k3', endpoint: 'wss://res.openai.azure.com', model: 'dep', apiVersion: '2025-04-01-preview' }), 'beta', 'wss://res.openai.azure.com/openai/realtime?api-version=2025-04-01-preview&deployment=dep', { 'api-key': 'k3' }],
      [config({ provider: 'voice-live', apiKey: 'k4', endpoint: 'wss://res.services.ai.azure.com', apiVersion: '2025-10-01' }), 'beta', 'wss://res.services.ai.azure.com/voice-live/realtime?api-version=2025-10-01&model=gpt-realtime', { 'api-key': 'k4' }],
    ] as const;
    for (const [input, dialect, url, headers] of cases) {
      const endpoint = resolveEndpoint(input);
      expect(endpoint).toMatchObject({ dialect, url, headers, simulated: false });
      expect(endpoint.url).not.toContain(input.apiKey);
    }
  });

  it('falls back to the sim on auto without a key, and to OpenAI with one', () => {
    expect(resolveEndpoint(config({}))).toMatchObject({ provider: 'sim', simulated: true, url: 'ws://127.0.0.1:8765/v1/realtime?model=gpt-realtime' });
    expect(resolveEndpoint(config({ apiKey: 'sk-x' }))).toMatchObject({ provider: 'openai', simulated: false });
  });

  it("gives the sim its own key, never the configured one", () => {
    const endpoint = resolveEndpoint(config({ provider: 'sim', apiKey: 'sk-real', simApiKey: 'voxbus-sim' }));
    expect(endpoint.headers).toEqual({ Authorization: 'Bearer voxbus-sim' });
    expect(JSON.stringify(endpoint)).not.toContain('sk-real');
  });

  it('uses Entra ID for the Azure providers only, with the right scope and no key', () => {
    const azure = resolveEndpoint(config({ provider: 'azure', endpoint: 'wss://res.openai.azure.com', auth: 'entra-id' }));
    expect(azure).toMatchObject({ headers: {}, entraScope: 'https://cognitiveservices.azure.com/.default' });
    const voiceLive = resolveEndpoint(config({ provider: 'voice-live', endpoint: 'wss://r', apiVersion: 'v', auth: 'entra-id' }));
    expect(voiceLive.entraScope).toBe('https://ai.azure.com/.default');
    expect(() => resolveEndpoint(config({ provider: 'openai', auth: 'entra-id' }))).toThrow(/Azure providers/);
  });

  it('says what is missing instead of connecting somewhere wrong', () => {
    expect(() => resolveEndpoint(config({ provider: 'openai' }))).toThrow(ConfigError);
    expect(() => resolveEndpoint(config({ provider: 'azure', apiKey: 'k' }))).toThrow(/ENDPOINT/);
    expect(() => resolveEndpoint(config({ provider: 'voice-live', apiKey: 'k', endpoint: 'wss://r' }))).toThrow(/apiVersion/);
  });
});
