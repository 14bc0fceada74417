/// <reference lib="dom" />
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeCredentials } from '@voxbus/broker/lib';
import { speech } from '@voxbus/shared/testing';
import { describe, expect, it } from 'vitest';
import { ALL_SERVICES, listening, startBoardStack, turnReport } from '../helpers/board-stack.js';
import { openPage } from '../helpers/browser.js';
import { cleanupAfterEach } from '../helpers/cleanup.js';
import { Probe } from '../helpers/probe.js';

const onCleanup = cleanupAfterEach();
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('the whole conversation with the broker enforcing access rules (a login per service)', () => {
  it('answers a spoken question with nothing refused; a monitor sees the turn but not the microphone and cannot end it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'voxbus-e2e-credentials-'));
    onCleanup(() => rmSync(dir, { recursive: true, force: true }));
    await makeCredentials(dir);
    const login = (name: string) => ({ username: name, password: readFileSync(join(dir, `${name}.password`), 'utf8').trim() });
    const { probe, board, url, wsPort } = await startBoardStack(
      onCleanup,
      {
        // One setting for every service: each logs in under its own name with its own password file.
        VOXBUS_BUS__USERNAME: '{service}',
        VOXBUS_BUS__PASSWORD_FILE: join(dir, '{service}.password'),
        VOXBUS_BROKER__USERS_FILE: join(dir, 'users.json'),
        VOXBUS_METRICS_INTERVAL_MS: '1000',
      },
      ['lcd'],
      login('admin'),
    );
    for (const name of [...ALL_SERVICES, 'lcd']) await probe.waitForJson<{ status: string }>(`voxbus/${name}/status`, (s) => s.status === 'online', 15_000);
    const monitor = await Probe.connect(url, { ...login('monitor'), clientId: 'monitor-e2e', reconnectPeriod: 0 });
    onCleanup(() => monitor.close());
    await monitor.subscribe('voxbus/#');

    const start = probe.messages.length;
    await board.speak(await speech('What will the weather be like tomorrow?', 48_000), 48_000);
    const report = await turnReport(probe, start);
    await listening(probe, start);
    expect(report.outcome).toBe('answered');
    // The admin heard the microphone; the monitor saw the turn without it.
    expect(probe.messages.slice(start).some((m) => m.topic === 'voxbus/audio/mic')).toBe(true);
    expect(monitor.on('voxbus/conversation/event/turn').length).toBe(1);
    expect(monitor.messages.filter((m) => m.topic === 'voxbus/audio/mic' || m.topic === 'voxbus/audio/input')).toEqual([]);
    expect(monitor.messages.some((m) => m.topic === 'voxbus/audio/output')).toBe(true);

    // A monitor's command is refused (its connection cut) and the conversation goes on.
    const closed = new Promise<void>((resolve) => monitor.client.once('close', () => resolve()));
    monitor.client.publish('voxbus/conversation/cmd/end', '{}');
    await closed;
    await sleep(500);
    const last = probe.latest('voxbus/conversation/state')?.json as { state: string };
    expect(last.state, 'the conversation after a monitor tried to end it').toBe('listening');

    // Every service did its job within its rights: the broker refused nothing but the monitor's command.
    const at = probe.messages.length;
    const metrics = await probe.waitForJson<{ counters: Record<string, number> }>('voxbus/broker/metrics', () => true, 5000, at);
    expect(metrics.counters['publishes.denied'], 'publishes refused by the access rules (1: the monitor\'s)').toBe(1);
    expect(metrics.counters['subscriptions.denied'] ?? 0).toBe(0);
    expect(metrics.counters['clients.rejectedAuth'] ?? 0).toBe(0);

    // The monitor page asks for a login here: a wrong password is said, a monitor's login shows the conversation.
    const { page, pageErrors, shown } = await openPage(`http://127.0.0.1:${wsPort}/`, onCleanup);
    await shown('the login form', () => !(document.getElementById('login') as HTMLFormElement).hidden);
    await page.type('#login input[name=username]', 'monitor');
    await page.type('#login input[name=password]', 'not-the-password');
    await page.click('#login button[type=submit]');
    await shown('the refused login said', () => /refused the login/.test(document.getElementById('login-error')?.textContent ?? ''));
    await page.$eval('#login input[name=password]', (input) => {
      (input as HTMLInputElement).value = '';
    });
    await page.type('#login input[name=password]', login('monitor').password);
    await page.click('#login button[type=submit]');
    await shown('the conversation, logged in as the monitor', () => document.getElementById('state')?.textContent === 'listening');
    await shown('the services', () => document.querySelectorAll('#services tbody td.online').length >= 7);
    expect(pageErrors.filter((error) => !/WebSocket|refused/i.test(error)), 'errors on the page').toEqual([]);
  }, 90_000);
});
