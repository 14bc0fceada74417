import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createFakeFramebuffer, type ScreenEvent } from '@voxbus/lcd/lib';
import mqtt from 'mqtt';
import { cpuTimeMs, memoryOf, startAedesService, startService } from '../lib/processes.js';
import { conversationEvents } from './workload.js';

export interface ServiceFigures {
  readonly seconds: number;
  readonly pssMiB: { settled: number; max: number };
  readonly rssMiB: number;
  readonly cpuPercentOfOneCore: number;
  readonly framesDrawn: number;
}

const MiB = 1024 * 1024;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The topic and payload a service would publish for a screen event. */
function message(event: ScreenEvent): [string, string] | undefined {
  switch (event.type) {
    case 'conversation':
      return ['voxbus/conversation/state', JSON.stringify(event.state)];
    case 'transcript':
      return ['voxbus/realtime-gateway/event/transcript', JSON.stringify(event.message)];
    case 'levels':
      return ['voxbus/dsp/event/levels', JSON.stringify(event.levels)];
    default:
      return undefined;
  }
}

/**
 * The lcd as its own process (as the run command starts it) on a fake 240×280 RGB565
 * framebuffer, fed a conversation over the broker in real time (levels at 10 Hz, word deltas,
 * state changes) for `seconds`: its PSS, CPU and frames.
 */
export async function measureService(seconds: number): Promise<ServiceFigures> {
  const dir = mkdtempSync(join(tmpdir(), 'voxbus-bench-lcd-'));
  const broker = await startAedesService();
  const fake = createFakeFramebuffer(dir, { widthPx: 240, heightPx: 280, bitsPerPixel: 16 });
  const lcd = startService('lcd', {
    VOXBUS_BUS__URL: broker.url,
    VOXBUS_LCD__FRAMEBUFFER__DEVICE: fake.device,
    VOXBUS_LCD__FRAMEBUFFER__SYSFS_DIR: fake.sysfsDir,
    VOXBUS_LCD__PNG__PATH: '',
  });
  const client = await mqtt.connectAsync(broker.url);
  // A dropped connection is said, not thrown as a bare uncaught ECONNRESET.
  client.on('error', (error) => console.error(`bench: the observing MQTT client: ${error.message}`));
  try {
    let framesDrawn = 0;
    await client.subscribeAsync('voxbus/lcd/metrics');
    client.on('message', (_topic, payload) => {
      const metrics = JSON.parse(payload.toString()) as { counters: Record<string, number> };
      framesDrawn = metrics.counters['frames.drawn'] ?? framesDrawn;
    });
    await sleep(2000);
    const pid = lcd.pid as number;
    const script = conversationEvents(seconds * 10);
    const cpuStart = cpuTimeMs(pid);
    const started = performance.now();
    let maxPss = 0;
    for (const [frame, events] of script.entries()) {
      for (const event of events) {
        const m = message(event);
        if (m) await client.publishAsync(m[0], m[1], { retain: m[0].endsWith('/state') });
      }
      if (frame % 10 === 0) maxPss = Math.max(maxPss, memoryOf(pid).pssBytes ?? 0);
      await sleep(Math.max(0, started + (frame + 1) * 100 - performance.now()));
    }
    const cpuMs = cpuTimeMs(pid) - cpuStart;
    const elapsedMs = performance.now() - started;
    await sleep(1500); // a last metrics sample
    const memory = memoryOf(pid);
    return {
      seconds,
      pssMiB: { settled: Math.round(((memory.pssBytes ?? 0) / MiB) * 10) / 10, max: Math.round((Math.max(maxPss, memory.pssBytes ?? 0) / MiB) * 10) / 10 },
      rssMiB: Math.round(((memory.rssBytes ?? 0) / MiB) * 10) / 10,
      cpuPercentOfOneCore: Math.round((cpuMs / elapsedMs) * 1000) / 10,
      framesDrawn,
    };
  } finally {
    await client.endAsync();
    lcd.kill('SIGTERM');
    await new Promise((resolve) => lcd.once('exit', resolve));
    await broker.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}
