import { describe, expect, it } from 'vitest';
import { realtimeEventErrors } from '@voxbus/shared/realtime';
import { GATEWAY_DEFAULTS, type GatewayConfig } from '../src/config.js';
import { renderSessionUpdate } from '../src/session-render.js';

const semantic: NonNullable<GatewayConfig['turnDetection']> = {
  type: 'semantic_vad',
  threshold: 0.5,
  prefixPaddingMs: 300,
  silenceDurationMs: 500,
  createResponse: true,
  interruptResponse: false,
};

describe('turn detection as each service takes it', () => {
  it('sends semantic_vad without the server-VAD parameters OpenAI rejects as unknown', () => {
    const session = renderSessionUpdate({ ...GATEWAY_DEFAULTS, turnDetection: { ...semantic, eagerness: 'low' } }, 'ga', 'openai');
    const turnDetection = (session.audio as { input: { turn_detection: Record<string, unknown> } }).input.turn_detection;
    expect(turnDetection).toEqual({ type: 'semantic_vad', eagerness: 'low', create_response: true, interrupt_response: false });
    expect(realtimeEventErrors('ga', 'client', { type: 'session.update', session })).toBeUndefined();
  });

  it('keeps them for server_vad and for Voice Live semantic VAD, which take them', () => {
    const server = renderSessionUpdate(GATEWAY_DEFAULTS, 'ga', 'openai');
    expect((server.audio as { input: { turn_detection: Record<string, unknown> } }).input.turn_detection).toMatchObject({
      type: 'server_vad',
      threshold: 0.5,
      prefix_padding_ms: 300,
      silence_duration_ms: 500,
    });
    const azure = renderSessionUpdate({ ...GATEWAY_DEFAULTS, turnDetection: { ...semantic, type: 'azure_semantic_vad' } }, 'beta', 'voice-live');
    expect(azure.turn_detection).toMatchObject({ type: 'azure_semantic_vad', threshold: 0.5, silence_duration_ms: 500 });
    expect(azure.turn_detection).not.toHaveProperty('eagerness');
  });

  it('sends semantic_vad without them after a turn-detection command too', () => {
    const session = renderSessionUpdate({ ...GATEWAY_DEFAULTS, turnDetection: semantic }, 'beta', 'azure-preview', {}, { mode: 'server', interruptResponse: true });
    expect(session.turn_detection).toEqual({ type: 'semantic_vad', create_response: true, interrupt_response: true });
  });
});
