import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import OpenAI from 'openai';
import { OpenAIRealtimeWS } from 'openai/realtime/ws';
import { describe, expect, it } from 'vitest';
import { freePort, waitForPort } from '@voxbus/shared/testing';
import { cleanupAfterEach } from '../../../test/helpers/cleanup.js';
import { spawnNode } from '../../../test/helpers/processes.js';
import { waitFor } from '../../../test/helpers/wait.js';

const onCleanup = cleanupAfterEach();

/** The sim as its own process, serving wss:// with the certificate it makes at start. */
async function startTlsSim(): Promise<{ port: number; ca: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'voxbus-sim-tls-'));
  onCleanup(() => rmSync(dir, { recursive: true, force: true }));
  const port = await freePort();
  const sim = spawnNode('services/realtime-sim/dist/main.js', [], {
    VOXBUS_REALTIME_SIM__PORT: String(port),
    VOXBUS_REALTIME_SIM__API_KEY: 'sk-sdk-test',
    VOXBUS_REALTIME_SIM__VOICE: 'synthetic',
    VOXBUS_REALTIME_SIM__TLS: 'true',
    VOXBUS_REALTIME_SIM__TLS_CERT_OUT: join(dir, 'sim.pem'),
    VOXBUS_BUS__URL: `mqtt://127.0.0.1:${await freePort()}`,
  });
  onCleanup(() => sim.stop('SIGKILL'));
  await waitForPort(port, 15_000);
  await waitFor('the certificate written', () => existsSync(join(dir, 'sim.pem')));
  return { port, ca: readFileSync(join(dir, 'sim.pem'), 'utf8') };
}

describe('the official OpenAI SDK against the sim', () => {
  it('completes a turn over wss:// with its realtime WebSocket client', async () => {
    const { port, ca } = await startTlsSim();
    const client = new OpenAI({ apiKey: 'sk-sdk-test', baseURL: `https://127.0.0.1:${port}/v1` });
    const rt = new OpenAIRealtimeWS({ model: 'gpt-realtime', options: { ca } }, client);
    onCleanup(() => rt.close());
    const types: string[] = [];
    const errors: string[] = [];
    let transcript = '';
    let status: string | undefined;
    rt.on('event', (event) => types.push(event.type));
    rt.on('error', (error) => errors.push(error.message));
    rt.on('response.output_audio_transcript.done', (event) => (transcript = event.transcript));
    rt.on('response.done', (event) => (status = event.response.status ?? 'none'));
    await new Promise<void>((resolve, reject) => {
      rt.socket.once('open', () => resolve());
      rt.socket.once('error', reject);
    });
    expect(rt.url.protocol).toBe('wss:');
    await waitFor('session.created', () => types.includes('session.created'));
    rt.send({ type: 'session.update', session: { type: 'realtime', instructions: 'Be brief.' } });
    rt.send({ type: 'conversation.item.create', item: { type: 'message', role: 'user', content: [{ type: 'input_text', text: 'hello from the SDK' }] } });
    rt.send({ type: 'response.create' });
    await waitFor(`response.done (events so far: ${types.join(', ')}; errors: ${errors.join('; ')})`, () => status !== undefined, 15_000);
    expect(errors).toEqual([]);
    expect(status).toBe('completed');
    expect(transcript).toBe('You wrote: hello from the SDK');
    expect(types).toContain('response.output_audio.delta');
  });
});
