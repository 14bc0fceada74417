import { describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { realtimeEventErrors } from '@voxbus/shared/realtime';
import { freePort, waitForPort } from '@voxbus/shared/testing';
import { cleanupAfterEach } from '../../../test/helpers/cleanup.js';
import { spawnNode } from '../../../test/helpers/processes.js';
import { waitFor } from '../../../test/helpers/wait.js';
import { tone } from './sim-harness.js';

const onCleanup = cleanupAfterEach();
const KEY = 'sk-test-sim-key';

async function startSim(): Promise<string> {
  const port = await freePort();
  const brokerPort = await freePort();
  const sim = spawnNode('services/realtime-sim/dist/main.js', [], {
    VOXBUS_REALTIME_SIM__PORT: String(port),
    VOXBUS_REALTIME_SIM__API_KEY: KEY,
    VOXBUS_REALTIME_SIM__VOICE: 'synthetic',
    // No broker is needed for the WebSocket side; the bus keeps retrying in the background.
    VOXBUS_BUS__URL: `mqtt://127.0.0.1:${brokerPort}`,
  });
  onCleanup(() => sim.stop('SIGKILL'));
  await waitForPort(port, 15_000);
  return `ws://127.0.0.1:${port}`;
}

interface Outcome {
  status?: number;
  closeCode?: number;
  closeReason?: string;
  events: Record<string, unknown>[];
  ws?: WebSocket;
}

function connect(url: string, headers: Record<string, string>): Promise<Outcome> {
  return new Promise((resolve) => {
    const outcome: Outcome = { events: [] };
    const ws = new WebSocket(url, { headers });
    ws.on('unexpected-response', (_, response) => {
      if (response.statusCode !== undefined) outcome.status = response.statusCode;
      resolve(outcome);
    });
    ws.on('message', (data) => {
      outcome.events.push(JSON.parse(data.toString()) as Record<string, unknown>);
      if (outcome.events.length === 1) {
        outcome.ws = ws;
        resolve(outcome);
      }
    });
    ws.on('close', (code, reason) => {
      outcome.closeCode = code;
      outcome.closeReason = reason.toString();
    });
    ws.on('error', () => resolve(outcome));
  });
}

describe('realtime-sim as a process, over a real WebSocket', () => {
  it('checks addresses and keys the way each real endpoint does', async () => {
    const base = await startSim();
    expect((await connect(`${base}/v1/realtime?model=gpt-realtime`, {})).status).toBe(401);
    expect((await connect(`${base}/openai/v1/realtime?model=gpt-realtime`, { 'api-key': 'wrong' })).status).toBe(401);
    expect((await connect(`${base}/openai/realtime?deployment=gpt-4o-realtime-preview`, { 'api-key': KEY })).status).toBe(400);
    expect((await connect(`${base}/nowhere`, { 'api-key': KEY })).status).toBe(404);

    const wrongKey = await connect(`${base}/v1/realtime?model=gpt-realtime`, { Authorization: 'Bearer sk-wrong' });
    expect(wrongKey.events[0]).toMatchObject({ type: 'error', error: { code: 'invalid_api_key' } });
    await waitFor('the close', () => wrongKey.closeCode);
    expect(wrongKey.closeCode).toBe(3000);
    expect(wrongKey.closeReason).toBe('invalid_request_error.invalid_api_key');

    const betaHeader = await connect(`${base}/v1/realtime?model=gpt-realtime`, { Authorization: `Bearer ${KEY}`, 'OpenAI-Beta': 'realtime=v1' });
    await waitFor('close 4000', () => betaHeader.closeCode);
    expect(betaHeader.closeCode).toBe(4000);
  });

  it.each([
    ['GA (OpenAI)', '/v1/realtime?model=gpt-realtime', { Authorization: `Bearer ${KEY}` }, 'ga', 'response.output_audio.delta'],
    ['GA (Azure v1)', '/openai/v1/realtime?model=my-deployment', { 'api-key': KEY }, 'ga', 'response.output_audio.delta'],
    ['beta (Azure preview)', '/openai/realtime?api-version=2025-04-01-preview&deployment=gpt-4o-realtime-preview', { 'api-key': KEY }, 'beta', 'response.audio.delta'],
    ['beta (Voice Live)', '/voice-live/realtime?api-version=2025-10-01&model=gpt-realtime', { Authorization: `Bearer ${KEY}` }, 'beta', 'response.audio.delta'],
  ] as const)('answers a spoken turn in the %s dialect, every event valid', async (_, path, headers, dialect, audioDelta) => {
    const base = await startSim();
    const session = await connect(`${base}${path}`, headers);
    const ws = session.ws as WebSocket;
    onCleanup(() => ws.terminate());
    expect(session.events[0]?.type).toBe('session.created');
    for (const [ms, amplitude] of [[400, 0], [700, 0.3], [600, 0]] as const) {
      for (let at = 0; at < ms; at += 20) ws.send(JSON.stringify({ type: 'input_audio_buffer.append', audio: tone(20, amplitude) }));
    }
    await waitFor('response.done', () => session.events.some((event) => event.type === 'response.done'), 15_000);
    expect(session.events.filter((event) => event.type === audioDelta).length).toBeGreaterThan(3);
    const invalid = session.events
      .map((event) => realtimeEventErrors(dialect, 'server', event))
      .filter(Boolean);
    expect(invalid).toEqual([]);
  });
});
