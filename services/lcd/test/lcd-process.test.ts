import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Payload } from '@voxbus/shared';
import { waitForPort } from '@voxbus/shared/testing';
import { PNG } from 'pngjs';
import { describe, expect, it } from 'vitest';
import { cleanupAfterEach } from '../../../test/helpers/cleanup.js';
import { Probe } from '../../../test/helpers/probe.js';
import { stackPorts, startRunner } from '../../../test/helpers/processes.js';
import { createFakeFramebuffer } from '../src/fake-framebuffer.js';
import { panelToRgba } from '../src/pixel-format.js';
import type { ScreenEvent } from '../src/screen-model.js';
import { conversationState, transcript } from './scenarios.js';
import { showsEventually } from './screen-match.js';

const onCleanup = cleanupAfterEach();

/** What a service publishes on voxbus/<service>/metrics. */
type Metrics = Payload<'service.metrics'>;

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'voxbus-lcd-'));
  onCleanup(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

const status = (service: string, online: boolean) =>
  JSON.stringify({
    status: online ? 'online' : 'offline',
    reason: online ? 'running' : 'connection_lost',
    service,
    version: '0.1.0',
    startedAt: new Date().toISOString(),
    pid: 4242,
    host: 'board',
  });

async function broker(env: Record<string, string>) {
  const ports = await stackPorts();
  const runner = startRunner(['broker'], { ...ports.env, ...env });
  onCleanup(() => runner.stop('SIGKILL'));
  await waitForPort(ports.tcpPort, 15_000);
  const probe = await Probe.connect(ports.url);
  onCleanup(() => probe.close());
  await probe.subscribe('voxbus/#');
  return { ports, probe };
}

describe('lcd as its own process', () => {
  it('draws the retained state at once on a fake RGB565 framebuffer, follows transcripts and service health, and redraws the present after kill -9', async () => {
    const dir = tempDir();
    const fake = createFakeFramebuffer(dir, { widthPx: 240, heightPx: 280, bitsPerPixel: 16 });
    const { ports, probe } = await broker({});
    // What the board looked like before this lcd started: retained, as the services leave it.
    const listening = conversationState('listening');
    await probe.publish('voxbus/conversation/state', JSON.stringify(listening), true);
    for (const service of ['conversation-state', 'dsp']) await probe.publish(`voxbus/${service}/status`, status(service, true), true);

    const lcd = startRunner(['lcd'], { ...ports.env, VOXBUS_LCD__FRAMEBUFFER__DEVICE: fake.device, VOXBUS_LCD__FRAMEBUFFER__SYSFS_DIR: fake.sysfsDir, VOXBUS_LCD__PNG__PATH: '' });
    onCleanup(() => lcd.stop('SIGKILL'));
    const screen = () => {
      const geometry = { widthPx: 240, heightPx: 280, strideBytes: 480, format: 'rgb565' as const };
      const png = new PNG({ width: 240, height: 280 });
      png.data.set(panelToRgba(readFileSync(fake.device), geometry));
      return png;
    };
    const events: ScreenEvent[] = [{ type: 'bus', connected: true }, ...['broker', 'conversation-state', 'dsp', 'lcd'].map((service): ScreenEvent => ({ type: 'status', service, online: true })), { type: 'conversation', state: listening }];
    await showsEventually('the retained state on the framebuffer', screen, () => events);

    const speaking = conversationState('assistantSpeaking');
    const said = [transcript('user', 'What time is it in Tokyo?', 'u1'), ...['It is ', 'a quarter ', 'past nine ', 'in the evening.'].map((t) => transcript('assistant', t, 'a1', 'delta'))];
    await probe.publish('voxbus/conversation/state', JSON.stringify(speaking), true);
    for (const event of said) if (event.type === 'transcript') await probe.publish('voxbus/realtime-gateway/event/transcript', JSON.stringify(event.message));
    events.push({ type: 'conversation', state: speaking }, ...said);
    await showsEventually('the streamed transcript', screen, () => events);

    await probe.publish('voxbus/dsp/status', status('dsp', false), true);
    events.push({ type: 'status', service: 'dsp', online: false });
    await showsEventually('dsp offline', screen, () => events);
    const metrics = await probe.waitForJson<Metrics>('voxbus/lcd/metrics', (m) => (m.counters['frames.drawn'] ?? 0) >= 3, 5000);
    expect(metrics.counters['frames.failed']).toBe(0);
    expect(metrics.counters['events.in']).toBeGreaterThanOrEqual(events.length - 1);

    // Killed outright: the run command restarts it, and it draws the present again from what the
    // broker retained (the panel blanked meanwhile, so the picture is really redrawn). The
    // transcript was not retained: a restarted screen starts without it.
    const pid = (probe.latest('voxbus/lcd/status')?.json as { pid: number } | undefined)?.pid;
    if (pid === undefined) throw new Error('no voxbus/lcd/status with a pid before the kill');
    const before = probe.messages.length;
    process.kill(pid, 'SIGKILL');
    writeFileSync(fake.device, Buffer.alloc(480 * 280));
    await probe.waitForJson('voxbus/lcd/status', (s: { status: string; pid: number }) => s.status === 'online' && s.pid !== pid, 10_000, before);
    const retained = events.filter((e) => e.type !== 'transcript');
    await showsEventually('the present after a restart', screen, () => retained);
  });

  it('without its framebuffer: one clear error, the PNG file instead; bad messages are counted and skipped', async () => {
    const dir = tempDir();
    const pngPath = join(dir, 'screen.png');
    const { ports, probe } = await broker({});
    const lcd = startRunner(['lcd'], { ...ports.env, VOXBUS_LCD__FRAMEBUFFER__DEVICE: join(dir, 'fb9'), VOXBUS_LCD__FRAMEBUFFER__SYSFS_DIR: dir, VOXBUS_LCD__PNG__PATH: pngPath, VOXBUS_LCD__WIDTH_PX: '320', VOXBUS_LCD__HEIGHT_PX: '240' });
    onCleanup(() => lcd.stop('SIGKILL'));
    const screen = () => (existsSync(pngPath) ? PNG.sync.read(readFileSync(pngPath)) : undefined);
    const events: ScreenEvent[] = [{ type: 'bus', connected: true }, ...['broker', 'lcd'].map((service): ScreenEvent => ({ type: 'status', service, online: true }))];
    await showsEventually('the PNG fallback', screen, () => events);
    expect(screen()?.width).toBe(320);

    await probe.publish('voxbus/realtime-gateway/event/transcript', '{"role":"user","kind":"final"');
    await probe.publish('voxbus/realtime-gateway/event/transcript', JSON.stringify({ role: 'robot', kind: 'final', itemId: 'x', responseId: null, text: 'hi' }));
    await probe.publish('voxbus/conversation/state', JSON.stringify({ state: 'listening' }), true);
    const thinking = conversationState('waiting');
    await probe.publish('voxbus/conversation/state', JSON.stringify(thinking), true);
    events.push({ type: 'conversation', state: thinking });
    await showsEventually('the next good state', screen, () => events);
    const metrics = await probe.waitForJson<Metrics>('voxbus/lcd/metrics', (m) => (m.bus.invalidReceived['realtime-gateway.event.transcript'] ?? 0) >= 2, 5000);
    expect(metrics.bus.invalidReceived['conversation.state']).toBe(1);
    const errors = lcd.lines.filter((line) => line.includes('framebuffer unavailable'));
    expect(errors).toHaveLength(1);
    expect(errors[0]).toContain(`drawing to ${pngPath} instead`);
    expect(errors[0]).toContain("no such device: is the panel's driver loaded");
    expect(probe.latest('voxbus/lcd/status')?.json).toMatchObject({ status: 'online' });
  });
});
