import { describe, expect, it } from 'vitest';
import { encodeAudioFrame } from '@voxbus/shared';
import { freePort, waitForPort } from '@voxbus/shared/testing';
import { cleanupAfterEach } from '../../../test/helpers/cleanup.js';
import { Probe } from '../../../test/helpers/probe.js';
import { stackPorts, startRunner } from '../../../test/helpers/processes.js';
import { waitFor } from '../../../test/helpers/wait.js';

const onCleanup = cleanupAfterEach();

interface State {
  state: string;
  sessionId: string | null;
  reason: string | null;
}

async function stack(gatewayEnv: Record<string, string> = {}) {
  const ports = await stackPorts();
  const simPort = await freePort();
  const runner = startRunner(['broker', 'realtime-sim', 'realtime-gateway'], {
    ...ports.env,
    VOXBUS_REALTIME_SIM__PORT: String(simPort),
    VOXBUS_REALTIME_SIM__VOICE: 'synthetic',
    VOXBUS_REALTIME_GATEWAY__SIM_URL: `ws://127.0.0.1:${simPort}`,
    VOXBUS_REALTIME_GATEWAY__KEEPALIVE_MS: '1000',
    VOXBUS_REALTIME_GATEWAY__RECONNECT_INITIAL_MS: '100',
    ...gatewayEnv,
  });
  onCleanup(() => runner.stop('SIGKILL'));
  await waitForPort(ports.tcpPort, 15_000);
  const probe = await Probe.connect(ports.url);
  onCleanup(() => probe.close());
  await probe.subscribe('voxbus/#');
  return { runner, probe, simPort };
}

function frame(sequence: number, amplitude: number): Buffer {
  const samples = new Int16Array(480);
  for (let i = 0; i < samples.length; i++) samples[i] = Math.round(Math.sin((2 * Math.PI * 300 * (sequence * 480 + i)) / 24000) * amplitude * 32767);
  return encodeAudioFrame({ sampleRateHz: 24000, channels: 1, sampleFormat: 's16le', sequence, captureTimeUs: sequence * 20_000, pcm: new Uint8Array(samples.buffer) });
}

describe('realtime-gateway as its own process, with the sim over a real WebSocket', () => {
  it('uses the sim when no key is set, answers a spoken turn, and reconnects with the session re-applied', async () => {
    const { runner, probe } = await stack();
    const connected = await probe.waitForJson<State>('voxbus/realtime-gateway/state', (s) => s.state === 'connected' && s.sessionId !== null, 20_000);
    expect(runner.lines.some((line) => line.includes('using the local realtime simulator'))).toBe(true);

    let sequence = 0;
    for (const [ms, amplitude] of [[300, 0], [800, 0.3], [800, 0]] as const) {
      for (let at = 0; at < ms; at += 20) await probe.publish('voxbus/audio/input', frame(sequence++, amplitude));
    }
    const final = await probe.waitForJson<{ role: string; kind: string; text: string }>(
      'voxbus/realtime-gateway/event/transcript',
      (t) => t.role === 'assistant' && t.kind === 'final',
      20_000,
    );
    expect(final.text).toBe('You spoke for 0.8 seconds.');
    expect(probe.on('voxbus/audio/output').length).toBeGreaterThan(20);
    expect(probe.on('voxbus/realtime-gateway/event/vad').map((m) => (m.json as { kind: string }).kind)).toEqual(['speech_started', 'speech_stopped']);

    // The service drops the socket: the gateway reconnects and applies its session again.
    const before = probe.messages.length;
    await probe.publish('voxbus/realtime-sim/cmd/fault', JSON.stringify({ kind: 'drop' }));
    await probe.waitForJson<State>('voxbus/realtime-gateway/state', (s) => s.state === 'reconnecting', 10_000, before);
    const again = await probe.waitForJson<State>('voxbus/realtime-gateway/state', (s) => s.state === 'connected' && s.sessionId !== null && s.sessionId !== connected.sessionId, 10_000, before);
    expect(again.sessionId).not.toBe(connected.sessionId);
    await waitFor('session.updated after the reconnect', () =>
      probe.messages.slice(before).some((m) => m.topic === 'voxbus/realtime-gateway/event/raw/session.updated'),
    );
  });

  it('stops in a clear error state, without a retry loop, when the service refuses the key', async () => {
    const simPort = await freePort();
    const { probe, runner } = await stack({
      VOXBUS_REALTIME_GATEWAY__PROVIDER: 'azure',
      VOXBUS_REALTIME_GATEWAY__ENDPOINT: `ws://127.0.0.1:${simPort}`,
      VOXBUS_REALTIME_GATEWAY__API_KEY: 'definitely-wrong',
      VOXBUS_REALTIME_SIM__PORT: String(simPort),
    });
    const error = await probe.waitForJson<State>('voxbus/realtime-gateway/state', (s) => s.state === 'error', 20_000);
    expect(error.reason).toMatch(/HTTP 401 at the handshake/);
    expect(runner.lines.join('\n')).not.toContain('definitely-wrong');
    await new Promise((resolve) => setTimeout(resolve, 1000));
    expect(probe.on('voxbus/realtime-gateway/state').filter((m) => (m.json as State).state === 'reconnecting')).toHaveLength(0);
  });
});
