import { describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { freePort, waitForPort } from '@voxbus/shared/testing';
import { cleanupAfterEach } from '../../../test/helpers/cleanup.js';
import { stackPorts, startRunner } from '../../../test/helpers/processes.js';
import { Probe } from '../../../test/helpers/probe.js';
import { waitFor } from '../../../test/helpers/wait.js';

const onCleanup = cleanupAfterEach();

interface Client {
  readonly ws: WebSocket;
  readonly events: { type: string; error?: { code: string } }[];
  close?: { code: number; reason: string };
}

async function open(url: string): Promise<Client> {
  const ws = new WebSocket(url, { headers: { Authorization: 'Bearer voxbus-sim' } });
  const client: Client = { ws, events: [] };
  ws.on('message', (data) => client.events.push(JSON.parse(data.toString()) as Client['events'][number]));
  ws.on('close', (code, reason) => (client.close = { code, reason: reason.toString() }));
  onCleanup(() => ws.terminate());
  await waitFor('session.created', () => client.events.some((event) => event.type === 'session.created'));
  return client;
}

describe('realtime-sim fault injection over the bus', () => {
  it('errors, stalls, expires and drops sessions on command, as the real service can', async () => {
    const ports = await stackPorts();
    const simPort = await freePort();
    const runner = startRunner(['broker', 'realtime-sim'], { ...ports.env, VOXBUS_REALTIME_SIM__PORT: String(simPort), VOXBUS_REALTIME_SIM__VOICE: 'synthetic' });
    onCleanup(() => runner.stop('SIGKILL'));
    await waitForPort(ports.tcpPort, 15_000);
    await waitForPort(simPort, 15_000);
    const commander = await Probe.connect(ports.url);
    onCleanup(() => commander.close());
    await commander.subscribe('voxbus/+/status');
    await commander.waitForJson('voxbus/realtime-sim/status', (s: { status: string }) => s.status === 'online', 15_000);
    const url = `ws://127.0.0.1:${simPort}/v1/realtime?model=gpt-realtime`;
    const fault = (payload: object) => commander.publish('voxbus/realtime-sim/cmd/fault', JSON.stringify(payload));

    const client = await open(url);
    await fault({ kind: 'error' });
    await waitFor('the error event', () => client.events.some((event) => event.error?.code === 'server_error'));
    client.ws.send(JSON.stringify({ type: 'response.create' }));
    await waitFor('the session still answering', () => client.events.some((event) => event.type === 'response.created'));
    await waitFor('that response done', () => client.events.some((event) => event.type === 'response.done'));

    await fault({ kind: 'stall', durationMs: 800 });
    await new Promise((resolve) => setTimeout(resolve, 100));
    const before = client.events.length;
    client.ws.send(JSON.stringify({ type: 'input_audio_buffer.clear' }));
    await new Promise((resolve) => setTimeout(resolve, 400));
    expect(client.events.length).toBe(before); // stalled: nothing comes back
    await waitFor('the held answer after the stall', () => client.events.slice(before).some((event) => event.type === 'input_audio_buffer.cleared'), 5000);

    await fault({ kind: 'expire' });
    await waitFor('the close', () => client.close);
    expect(client.events.some((event) => event.error?.code === 'session_expired')).toBe(true);
    expect(client.close?.code).toBe(1001);

    const second = await open(url);
    await fault({ kind: 'drop' });
    await waitFor('the abrupt close', () => second.close);
    expect(second.close?.code).toBe(1006); // no close frame: the socket was cut
  });
});
