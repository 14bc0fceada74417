import { type AudioFrame, decodeAudioFrame } from '@voxbus/shared';
import { align, samples, speech, startVirtualBoard, type VirtualBoard, waitForPort } from '@voxbus/shared/testing';
import { describe, expect, it } from 'vitest';
import { cleanupAfterEach } from '../../../test/helpers/cleanup.js';
import { Probe } from '../../../test/helpers/probe.js';
import { stackPorts, startRunner } from '../../../test/helpers/processes.js';
import { expectAudioThreadsNice } from '../../../test/helpers/thread-nice.js';
import { waitFor } from '../../../test/helpers/wait.js';

const onCleanup = cleanupAfterEach();
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

interface CaptureState {
  state: string;
  error: { code: string; message: string } | null;
  granted: { sampleRateHz: number; channels: number } | null;
}

async function stack(env: Record<string, string> = {}): Promise<{ board: VirtualBoard; probe: Probe; lines: string[]; url: string }> {
  const board = await startVirtualBoard();
  onCleanup(() => board.stop());
  const ports = await stackPorts();
  const runner = startRunner(['broker', 'audio-capture'], {
    ...ports.env,
    ...board.env,
    VOXBUS_AUDIO_CAPTURE__DEVICE: board.micDevice,
    VOXBUS_AUDIO_CAPTURE__REOPEN_INITIAL_MS: '200',
    VOXBUS_AUDIO_CAPTURE__REOPEN_MAX_MS: '1000',
    ...env,
  });
  onCleanup(() => runner.stop('SIGKILL'));
  await waitForPort(ports.tcpPort, 15_000);
  const probe = await Probe.connect(ports.url);
  onCleanup(() => probe.close());
  await probe.subscribe('voxbus/#');
  await probe.waitForJson('voxbus/audio-capture/status', (s: { status: string }) => s.status === 'online', 20_000);
  return { board, probe, lines: runner.lines, url: ports.url };
}

const micFrames = (probe: Probe, after = 0): AudioFrame[] =>
  probe.messages.slice(after).filter((m) => m.topic === 'voxbus/audio/mic').map((m) => decodeAudioFrame(m.payload));

function mono(frames: AudioFrame[]): Int16Array {
  const all = samples(Buffer.concat(frames.map((f) => Buffer.from(f.pcm))));
  const channels = frames[0]?.channels ?? 1;
  return channels === 1 ? all : all.filter((_, i) => i % channels === 0);
}

describe('audio-capture as its own process on the virtual board', () => {
  it('puts speech played into the microphone on audio/mic intact, with no sequence gaps; mutes on command', async () => {
    const { board, probe, lines } = await stack({ VOXBUS_AUDIO_CAPTURE__SAMPLE_RATE_HZ: '48000', VOXBUS_AUDIO_CAPTURE__CHANNELS: '2' });
    const state = await probe.waitForJson<CaptureState>('voxbus/audio-capture/state', (s) => s.state === 'capturing', 10_000);
    expect(state.granted).toMatchObject({ sampleRateHz: 48_000, channels: 2 });
    // Its threads (the audio one, the sound server's client, the event loop) at a raised priority.
    expectAudioThreadsNice(lines, 'microphone open');
    const source = await speech('The quick brown fox jumps over the lazy dog.', 48_000);
    await sleep(300);
    await board.speak(source, 48_000);
    await sleep(300);

    const frames = micFrames(probe);
    expect(frames.length).toBeGreaterThan(100);
    // Every frame, in order, none missing: the sequence counts up by one from the first.
    const first = frames[0]?.sequence ?? 0;
    expect(frames.map((f) => f.sequence)).toEqual(frames.map((_, i) => first + i));
    expect(frames.every((f) => f.sampleRateHz === 48_000 && f.channels === 2 && f.pcm.length === 960 * 4)).toBe(true);
    for (let i = 1; i < frames.length; i++) {
      expect((frames[i] as AudioFrame).captureTimeUs - (frames[i - 1] as AudioFrame).captureTimeUs).toBeCloseTo(20_000, -4);
    }
    // The speech is in there, whole: it correlates with the source as a near-exact copy.
    const heard = mono(frames);
    const { lagSamples, correlation } = align(samples(source), heard);
    expect(lagSamples).toBeGreaterThan(0);
    expect(correlation).toBeGreaterThan(0.95);

    const before = probe.messages.length;
    await probe.publish('voxbus/audio-capture/cmd/mute', '{}');
    await probe.waitForJson<CaptureState>('voxbus/audio-capture/state', (s) => s.state === 'muted', 5000, before);
    await sleep(200);
    const mutedAt = probe.messages.length;
    await sleep(300);
    expect(micFrames(probe, mutedAt)).toEqual([]);
    await probe.publish('voxbus/audio-capture/cmd/unmute', '{}');
    await waitFor('frames after unmute', () => micFrames(probe, mutedAt).length > 5 || undefined, 5000);
    // Muting is not loss: the sequence carries on across it without a gap.
    const all = micFrames(probe);
    expect(all.map((f) => f.sequence)).toEqual(all.map((_, i) => first + i));
  });

  it('reports a missing device once, as a retained error, and keeps running', async () => {
    const { probe, lines, url } = await stack({ VOXBUS_AUDIO_CAPTURE__DEVICE: 'voxbus_no_such_mic' });
    const state = await probe.waitForJson<CaptureState>('voxbus/audio-capture/state', (s) => s.state === 'error', 10_000);
    expect(state.error).toMatchObject({ code: 'device_not_found' });
    expect(state.error?.message).toContain("'voxbus_no_such_mic'");
    await sleep(1500); // several retries
    expect(lines.filter((line) => line.includes('voxbus_no_such_mic') && line.includes('"level":50'))).toHaveLength(1);
    // A late subscriber (the lcd starting) reads the error at once.
    const late = await Probe.connect(url);
    onCleanup(() => late.close());
    await late.subscribe('voxbus/audio-capture/state');
    const retained = await late.waitForJson<CaptureState>('voxbus/audio-capture/state', () => true, 5000);
    expect(retained.state).toBe('error');
    const status = probe.on('voxbus/audio-capture/status').map((m) => (m.json as { status: string }).status);
    expect(status).not.toContain('offline');
  });

  it('survives the sound card going away mid-stream and captures again when it is back', async () => {
    const { board, probe } = await stack();
    await probe.waitForJson<CaptureState>('voxbus/audio-capture/state', (s) => s.state === 'capturing', 10_000);
    await waitFor('frames', () => micFrames(probe).length > 10 || undefined, 5000);
    const before = probe.messages.length;
    await board.unplug();
    const lost = await probe.waitForJson<CaptureState>('voxbus/audio-capture/state', (s) => s.state === 'error', 10_000, before);
    expect(lost.error?.code).toBe('device_lost');
    await sleep(500);
    const back = probe.messages.length;
    await board.plug();
    await probe.waitForJson<CaptureState>('voxbus/audio-capture/state', (s) => s.state === 'capturing', 15_000, back);
    await waitFor('frames after the card is back', () => micFrames(probe, back).length > 10 || undefined, 10_000);
  });
});
