import { FakeAudioBackend } from '@voxbus/alsa';
import { type AudioFrame, MetricsRegistry } from '@voxbus/shared';
import { FakeClock } from '@voxbus/shared/testing';
import { describe, expect, it } from 'vitest';
import { captureLog } from '../../../test/helpers/log-capture.js';
import { CAPTURE_DEFAULTS, type CaptureConfig } from '../src/config.js';
import { type CaptureStatePayload, Microphone } from '../src/microphone.js';

const flush = () => new Promise((resolve) => setImmediate(resolve));

function rig(config: Partial<CaptureConfig> = {}, devices = [{ name: 'default', direction: 'capture' as const }]) {
  const clock = new FakeClock();
  const backend = new FakeAudioBackend(clock, devices);
  const frames: AudioFrame[] = [];
  const states: CaptureStatePayload[] = [];
  const { log, lines } = captureLog();
  const metrics = new MetricsRegistry();
  const microphone = new Microphone(
    { ...CAPTURE_DEFAULTS, ...config },
    { backend, clock, log, metrics, publishFrame: (f) => frames.push(f), publishState: (s) => states.push(s) },
  );
  return { clock, backend, frames, states, lines, metrics, microphone };
}

describe('Microphone', () => {
  it('publishes 20 ms frames in the granted format (stereo-only device), with consecutive sequences', async () => {
    const { clock, backend, frames, states, microphone } = rig({}, [
      { name: 'default', direction: 'capture', sampleRatesHz: [44_100], channelCounts: [2] } as never,
    ]);
    microphone.start();
    await flush();
    backend.speak('default', Buffer.alloc(44_100 * 4, 1));
    clock.advance(1000);
    expect(states.map((s) => s.state)).toEqual(['opening', 'capturing']);
    expect(states[1]?.granted).toMatchObject({ sampleRateHz: 44_100, channels: 2 });
    expect(frames.length).toBeGreaterThanOrEqual(49);
    expect(frames.map((f) => f.sequence)).toEqual(frames.map((_, i) => i));
    expect(frames.every((f) => f.channels === 2 && f.sampleRateHz === 44_100 && f.pcm.length === 882 * 4)).toBe(true);
    await microphone.stop();
    expect(states.at(-1)?.state).toBe('stopped');
  });

  it('does not publish while muted, says so, and carries on without a sequence gap', async () => {
    const { clock, frames, states, microphone } = rig();
    microphone.start();
    await flush();
    clock.advance(100);
    const before = frames.length;
    microphone.mute();
    clock.advance(500);
    expect(frames.length).toBe(before);
    expect(states.at(-1)?.state).toBe('muted');
    microphone.unmute();
    clock.advance(100);
    expect(states.at(-1)?.state).toBe('capturing');
    expect(frames.length).toBeGreaterThan(before);
    expect(frames.map((f) => f.sequence)).toEqual(frames.map((_, i) => i));
    // Time jumps across the mute (the frames after it were captured half a second later).
    expect((frames[before]?.captureTimeUs ?? 0) - (frames[before - 1]?.captureTimeUs ?? 0)).toBeGreaterThan(400_000);
    await microphone.stop();
  });

  it('starts muted when configured so', async () => {
    const { clock, frames, states, microphone } = rig({ startMuted: true });
    microphone.start();
    await flush();
    clock.advance(200);
    expect(frames).toEqual([]);
    expect(states.at(-1)?.state).toBe('muted');
    await microphone.stop();
  });

  it('reports a missing device once, keeps a retained error state, and retries with backoff until it appears', async () => {
    const { clock, backend, frames, states, lines, metrics, microphone } = rig({ reopenInitialMs: 500, reopenMaxMs: 2000 });
    backend.unplug('default');
    microphone.start();
    await flush();
    expect(states.at(-1)).toMatchObject({ state: 'error', error: { code: 'device_not_found' }, retryInMs: 500, granted: null });
    for (const step of [500, 1000, 2000, 2000]) {
      clock.advance(step);
      await flush();
    }
    expect(states.filter((s) => s.state === 'error').map((s) => s.retryInMs)).toEqual([500, 1000, 2000, 2000, 2000]);
    const errorLines = lines.filter((l) => l.level === 50);
    expect(errorLines).toHaveLength(1);
    expect(String(errorLines[0]?.msg)).toContain("'default'");
    backend.plug('default');
    clock.advance(2000);
    await flush();
    expect(states.at(-1)?.state).toBe('capturing');
    clock.advance(100);
    expect(frames.length).toBeGreaterThan(0);
    expect(metrics.snapshot()).toMatchObject({ 'device.errors': 5, 'device.reopens': 1 });
    await microphone.stop();
  });

  it('survives a device that disappears mid-stream and comes back, the sequence carrying on', async () => {
    const { clock, backend, frames, states, microphone } = rig({ reopenInitialMs: 200 });
    microphone.start();
    await flush();
    clock.advance(100);
    const before = frames.length;
    backend.unplug('default');
    await flush();
    expect(states.at(-1)).toMatchObject({ state: 'error', error: { code: 'device_lost' } });
    backend.plug('default');
    clock.advance(200);
    await flush();
    clock.advance(100);
    expect(states.at(-1)?.state).toBe('capturing');
    expect(frames.length).toBeGreaterThan(before);
    expect(frames.map((f) => f.sequence)).toEqual(frames.map((_, i) => i));
    await microphone.stop();
  });
});
