import { type AudioBackend, FakeAudioBackend } from '@voxbus/alsa';
import { type AudioFrame, MetricsRegistry } from '@voxbus/shared';
import { FakeClock, loudSpans, samples, sine, sineSnrDb } from '@voxbus/shared/testing';
import { describe, expect, it } from 'vitest';
import { captureLog } from '../../../test/helpers/log-capture.js';
import { PLAYBACK_DEFAULTS, type PlaybackConfig } from '../src/config.js';
import { type PlaybackItemPayload, type PlaybackStatePayload, Speaker } from '../src/speaker.js';

const flush = () => new Promise((resolve) => setImmediate(resolve));

/** An item's audio as the gateway publishes it: 20 ms frames of 24 kHz mono, tagged with offsets. */
function itemFrames(itemId: string, pcm: Buffer, frameFrames = 480, responseId = 'resp_1'): AudioFrame[] {
  const frames: AudioFrame[] = [];
  for (let offset = 0; offset * 2 < pcm.length; offset += frameFrames) {
    frames.push({
      sampleRateHz: 24_000,
      channels: 1,
      sampleFormat: 's16le',
      sequence: frames.length,
      captureTimeUs: 0,
      item: { responseId, itemId, sampleOffset: offset },
      pcm: pcm.subarray(offset * 2, (offset + frameFrames) * 2),
    });
  }
  return frames;
}

/**
 * The fake's engine, as one whose audio thread acts on a flush before the call returns to JS (a
 * busy core can run them so): `flushesDone` and the cut move within `flush()`.
 */
function actingOnFlushAtOnce(fake: FakeAudioBackend): AudioBackend {
  return withPlayback(fake, async (request, handlers) => {
    const stream = await fake.openPlayback(request, handlers);
    let flushesDone = 0;
    let lastCutFrames = 0;
    return {
      ...stream,
      flush: () => {
        stream.flush();
        flushesDone += 1;
        lastCutFrames = stream.stats().contentHeardFrames;
      },
      stats: () => ({ ...stream.stats(), flushesDone, lastCutFrames }),
    };
  });
}

/** The fake backend with its playback opened another way (devices and capture as the fake's). */
function withPlayback(fake: FakeAudioBackend, openPlayback: AudioBackend['openPlayback']): AudioBackend {
  return {
    listDevices: () => fake.listDevices(),
    openCapture: (request, handlers) => fake.openCapture(request, handlers),
    openPlayback,
  };
}

async function rig(config: Partial<PlaybackConfig> = {}, engine: (fake: FakeAudioBackend, clock: FakeClock) => AudioBackend = (fake) => fake) {
  const clock = new FakeClock();
  const fake = new FakeAudioBackend(clock, [{ name: 'default', direction: 'playback' }]);
  const backend = engine(fake, clock);
  const states: PlaybackStatePayload[] = [];
  const events: PlaybackItemPayload[] = [];
  const played: AudioFrame[] = [];
  const { log, lines } = captureLog();
  const metrics = new MetricsRegistry();
  const speaker = new Speaker(
    { ...PLAYBACK_DEFAULTS, ...config },
    { backend, clock, log, metrics, publishState: (s) => states.push(s), publishItem: (e) => events.push(e), publishPlayed: (f) => played.push(f) },
  );
  speaker.start();
  await flush();
  /** What the speaker played, left channel, from `from` (48 kHz frames). */
  const heard = () => samples(fake.heard('default')).filter((_, i) => i % 2 === 0);
  return { clock, backend: fake, states, events, played, lines, metrics, speaker, heard };
}

/** The fake's engine, saying an xrun at 2 s (the device played 20 ms of silence of its own: what follows is heard that much later). */
function xrunAtTwoSeconds(fake: FakeAudioBackend, clock: FakeClock): AudioBackend {
  const startUs = clock.monotonicUs();
  let xrunUs = 0;
  return withPlayback(fake, (request, handlers) =>
    fake.openPlayback(request, {
      ...handlers,
      onPlayed: (period) => {
        const xrun = xrunUs === 0 && clock.monotonicUs() - startUs >= 2_000_000;
        if (xrun) xrunUs = 20_000;
        handlers.onPlayed?.({ ...period, timeUs: period.timeUs + xrunUs, lostFramesBefore: xrun ? 1 : 0 });
      },
    }),
  );
}

describe('Speaker', () => {
  it('plays an item as it arrives, upmixed and resampled to the device, and reports started then drained', async () => {
    const { clock, states, events, played, speaker, heard } = await rig();
    expect(states.map((s) => s.state)).toEqual(['opening', 'idle']);
    for (const frame of itemFrames('item_a', sine(24_000, 1, 1000, 0.5))) speaker.play(frame);
    clock.advance(1500);
    expect(states.map((s) => s.state)).toEqual(['opening', 'idle', 'playing', 'idle']);
    const kinds = events.map((e) => e.kind);
    expect(kinds[0]).toBe('started');
    expect(kinds.at(-1)).toBe('drained');
    expect(events.at(-1)).toMatchObject({ itemId: 'item_a', responseId: 'resp_1', receivedMs: 1000 });
    // It entered the device before it was heard, by the device buffer (the fake's delay).
    const started = events[0] as PlaybackItemPayload;
    expect(started.enteredDeviceUs).not.toBeNull();
    expect(started.timeUs - (started.enteredDeviceUs as number)).toBeGreaterThanOrEqual(30_000);
    expect(events.at(-1)?.heardMs).toBeGreaterThanOrEqual(998);
    // Positions in between, rising, five a second (the default pace): about four over the second.
    const positions = events.filter((e) => e.kind === 'position').map((e) => e.heardMs);
    expect(positions.length).toBeGreaterThanOrEqual(3);
    expect(positions.length).toBeLessThanOrEqual(6);
    expect([...positions].sort((a, b) => a - b)).toEqual(positions);
    // The speaker played one second of a clean 1 kHz tone at 48 kHz.
    const spans = loudSpans(heard(), 0.1, 4800);
    expect(spans).toHaveLength(1);
    const [start, end] = spans[0] as [number, number];
    expect(end - start).toBeGreaterThan(47_000);
    expect(sineSnrDb(heard().subarray(start + 2000, end - 2000), 48_000, 1000)).toBeGreaterThan(40);
    // The echo reference covers it, in the device's format, as 20 ms frames, in time order.
    expect(played.length).toBeGreaterThanOrEqual(50);
    expect(played.every((f) => f.sampleRateHz === 48_000 && f.channels === 2 && f.pcm.length === 960 * 4)).toBe(true);
    expect(played.map((f) => f.sequence)).toEqual(played.map((_, i) => i));
    for (let i = 1; i < played.length; i++) expect((played[i] as AudioFrame).captureTimeUs - (played[i - 1] as AudioFrame).captureTimeUs).toBeCloseTo(20_000, -3);
  });

  it('starts the echo reference again where the device says an xrun broke it: a sequence gap, and the frames after it where they are heard', async () => {
    const { clock, played } = await rig({}, xrunAtTwoSeconds);
    clock.advance(3000);
    const gapAt = played.findIndex((f, i) => i > 0 && f.sequence !== (played[i - 1] as AudioFrame).sequence + 1);
    expect(gapAt, 'a sequence gap at the xrun').toBeGreaterThan(90);
    const before = played[gapAt - 1] as AudioFrame;
    const after = played[gapAt] as AudioFrame;
    // Not glued on after the last frame before it: 20 ms later, as the device played it.
    expect(after.captureTimeUs - before.captureTimeUs - 20_000).toBeGreaterThan(15_000);
    // And steady again from there.
    for (let i = gapAt + 1; i < played.length; i++) expect((played[i] as AudioFrame).captureTimeUs - (played[i - 1] as AudioFrame).captureTimeUs).toBeCloseTo(20_000, -3);
  });

  it.each(['f32le', 's32le'] as const)('plays %s assistant audio as the same tone at the same level as s16le (never its bytes read as s16)', async (sampleFormat) => {
    const { clock, speaker, heard } = await rig();
    const tone = samples(sine(24_000, 1, 1000, 0.25));
    const wide = sampleFormat === 'f32le' ? Float32Array.from(tone, (v) => v / 32768) : Int32Array.from(tone, (v) => v * 65536);
    for (const frame of itemFrames('item_a', Buffer.from(tone.buffer))) {
      const offset = frame.item?.sampleOffset ?? 0;
      speaker.play({ ...frame, sampleFormat, pcm: new Uint8Array(wide.buffer, offset * 4, (frame.pcm.length / 2) * 4) });
    }
    clock.advance(1500);
    const spans = loudSpans(heard(), 0.1, 4800);
    expect(spans).toHaveLength(1);
    const [start, end] = spans[0] as [number, number];
    expect(end - start).toBeGreaterThan(47_000);
    const middle = heard().subarray(start + 2000, end - 2000);
    expect(sineSnrDb(middle, 48_000, 1000)).toBeGreaterThan(40);
    // 0.25 of full scale: its RMS is 0.25 / sqrt 2 (full-scale noise would be near 0.58).
    const rms = Math.sqrt(middle.reduce((sum, v) => sum + (v / 32768) ** 2, 0) / middle.length);
    expect(rms).toBeCloseTo(0.25 / Math.SQRT2, 2);
  });

  it('rides out bursts and gaps shorter than the jitter buffer without a break in the sound', async () => {
    const { clock, speaker, heard } = await rig({ jitterMs: 120 });
    const frames = itemFrames('item_b', sine(24_000, 1.2, 500, 0.5));
    // Bursts of five frames (100 ms of audio) every 100 ms, the first two arriving late.
    for (let i = 0; i < frames.length; i += 5) {
      for (const frame of frames.slice(i, i + 5)) speaker.play(frame);
      clock.advance(i < 10 ? 100 + 30 : 100 - 15);
    }
    clock.advance(1000);
    const spans = loudSpans(heard(), 0.05, 240);
    expect(spans).toHaveLength(1);
    expect((spans[0] as [number, number])[1] - (spans[0] as [number, number])[0]).toBeGreaterThan(1.19 * 48_000);
  });

  it('flushes within a period plus the device buffer, ends the item as flushed at what was heard, and drops its late frames', async () => {
    const { clock, events, speaker, heard, metrics } = await rig({ jitterMs: 0 });
    const frames = itemFrames('item_c', sine(24_000, 2, 1000, 0.5));
    for (const frame of frames.slice(0, 50)) speaker.play(frame);
    clock.advance(400);
    const heardBefore = heard().length;
    speaker.flush();
    clock.advance(300);
    const flushed = events.find((e) => e.kind === 'flushed');
    expect(flushed).toMatchObject({ itemId: 'item_c', receivedMs: 1000 });
    // Heard: about 400 ms, never the whole second that was received.
    expect(flushed?.heardMs).toBeGreaterThan(300);
    expect(flushed?.heardMs).toBeLessThan(480);
    // The speaker went quiet within a period plus the device buffer (4 periods) plus the fade.
    const spans = loudSpans(heard(), 0.02, 480);
    expect((spans.at(-1) as [number, number])[1]).toBeLessThan(heardBefore + 5 * 480 + 240);
    // The rest of the cancelled reply, still arriving, is not played.
    for (const frame of frames.slice(50)) speaker.play(frame);
    clock.advance(500);
    expect(loudSpans(heard(), 0.02, 480)).toHaveLength(1);
    expect(metrics.snapshot()['frames.droppedAfterFlush']).toBe(50);
    // A new reply's item plays.
    for (const frame of itemFrames('item_d', sine(24_000, 0.3, 700, 0.5), 480, 'resp_2')) speaker.play(frame);
    clock.advance(800);
    expect(loudSpans(heard(), 0.02, 480)).toHaveLength(2);
    expect(events.at(-1)).toMatchObject({ kind: 'drained', itemId: 'item_d' });
  });

  it('pauses without losing a sample: silent within a period and the device buffer, positions held, resumed where it stopped; a pause never resumed ends by itself, and a flush ends one too', async () => {
    const { clock, events, speaker, heard, metrics, lines } = await rig({ jitterMs: 0 });
    for (const frame of itemFrames('item_p', sine(24_000, 1.2, 1000, 0.5))) speaker.play(frame);
    clock.advance(300);
    const heardAtPause = heard().length;
    speaker.pause(2000);
    clock.advance(100);
    const positionsWhileHeld = () => events.filter((e) => e.kind === 'position').map((e) => e.heardMs);
    const heldFrom = positionsWhileHeld().length;
    clock.advance(400);
    const quietFrom = heardAtPause + 5 * 480 + 240;
    const spansWhileHeld = loudSpans(heard().subarray(quietFrom), 0.02, 480);
    expect(spansWhileHeld, `sound ${quietFrom} samples after the pause (a period, the device buffer and the fade allowed)`).toEqual([]);
    const held = positionsWhileHeld().slice(heldFrom);
    expect(new Set(held).size, `heardMs while held: ${held.join(', ')}`).toBeLessThanOrEqual(1);
    speaker.resume();
    clock.advance(300);
    // Held again, and never resumed (whoever paused it died): it goes on after forMs by itself.
    speaker.pause(200);
    clock.advance(2000);
    const drained = events.find((e) => e.kind === 'drained');
    expect(drained, 'the item drained after the expired pause').toMatchObject({ itemId: 'item_p', receivedMs: 1200 });
    expect(drained?.heardMs).toBeGreaterThanOrEqual(1198);
    // Nothing was lost: 1.2 s of tone in three stretches (before, between and after the pauses).
    const spans = loudSpans(heard(), 0.02, 480);
    expect(spans).toHaveLength(3);
    const loudFrames = spans.reduce((sum, [from, to]) => sum + (to - from), 0);
    expect(Math.abs(loudFrames - 1.2 * 48_000), `loud frames ${loudFrames}`).toBeLessThan(3 * 480);
    expect(metrics.snapshot()).toMatchObject({ pauses: 2, 'pauses.expired': 1 });
    expect(lines.some((line) => line.msg === 'a pause ran out without a resume or a flush: playing on')).toBe(true);

    // Paused, then flushed: the flush ends the pause, so the next reply plays.
    for (const frame of itemFrames('item_q', sine(24_000, 1, 1000, 0.5), 480, 'resp_2')) speaker.play(frame);
    clock.advance(300);
    speaker.pause(5000);
    clock.advance(100);
    speaker.flush();
    clock.advance(200);
    expect(events.find((e) => e.kind === 'flushed' && e.itemId === 'item_q')).toBeDefined();
    for (const frame of itemFrames('item_r', sine(24_000, 0.3, 700, 0.5), 480, 'resp_3')) speaker.play(frame);
    clock.advance(800);
    expect(events.at(-1), 'the reply after the flush plays, not held by the old pause').toMatchObject({ kind: 'drained', itemId: 'item_r' });
  });

  it('counts an item that ran dry and went on (audio slower than real time) from its start: heardMs is where the model\'s item is', async () => {
    const { clock, events, speaker } = await rig({ jitterMs: 0 });
    const frames = itemFrames('item_s', sine(24_000, 1, 440, 0.5));
    for (const frame of frames.slice(0, 25)) speaker.play(frame);
    clock.advance(1000);
    const first = events.filter((e) => e.kind === 'drained').at(-1);
    expect(first?.heardMs).toBeGreaterThanOrEqual(498);
    expect(first?.heardMs).toBeLessThanOrEqual(502);
    for (const frame of frames.slice(25)) speaker.play(frame);
    clock.advance(1000);
    // Started again for its second stretch, then drained at its whole second, not the stretch's half.
    expect(events.filter((e) => e.kind === 'started')).toHaveLength(2);
    const last = events.filter((e) => e.kind === 'drained').at(-1);
    expect(last).toMatchObject({ itemId: 'item_s', receivedMs: 1000 });
    expect(last?.heardMs).toBeGreaterThanOrEqual(998);
    expect(last?.heardMs).toBeLessThanOrEqual(1002);
    expect(events.filter((e) => e.kind === 'position').every((e) => e.heardMs <= 1002)).toBe(true);
  });

  it('learns its jitter buffer: a reply plays at once; an item that runs dry grows the buffer, which the next replies wait for, and replies that play through shrink it back', async () => {
    const { clock, events, speaker, metrics } = await rig();
    const depth = () => metrics.snapshot()['jitter.depthMs'];
    // How long after its first frame came an item's first sample went into the device.
    const startedWithin = (itemId: string) => {
      const fromUs = clock.monotonicUs();
      return () => {
        const started = events.find((e) => e.itemId === itemId && e.kind === 'started');
        return started?.enteredDeviceUs == null ? undefined : (started.enteredDeviceUs - fromUs) / 1000;
      };
    };
    // The first reply: one frame is enough to start (the model streams ahead of real time).
    const a = itemFrames('item_a', sine(24_000, 1, 440, 0.5));
    const aStarted = startedWithin('item_a');
    speaker.play(a[0] as AudioFrame);
    clock.advance(5);
    for (const frame of a.slice(1, 25)) speaker.play(frame);
    clock.advance(1000);
    // Into the device within a period, not after a wait.
    expect(aStarted()).toBeLessThanOrEqual(10);
    expect(metrics.snapshot()['jitter.underruns']).toBe(0);
    // The rest of it comes after the speaker ran out: an underrun, once, and the buffer grows.
    for (const frame of a.slice(25)) speaker.play(frame);
    clock.advance(1000);
    expect(metrics.snapshot()['jitter.underruns']).toBe(1);
    expect(depth()).toBe(40);
    // The next reply waits for 40 ms of audio (or 40 ms): one frame alone does not start it.
    const b = itemFrames('item_b', sine(24_000, 0.3, 440, 0.5), 480, 'resp_2');
    const bStarted = startedWithin('item_b');
    speaker.play(b[0] as AudioFrame);
    clock.advance(30);
    expect(events.some((e) => e.itemId === 'item_b' && e.kind === 'started')).toBe(false);
    speaker.play(b[1] as AudioFrame);
    for (const frame of b.slice(2)) speaker.play(frame);
    clock.advance(1000);
    expect(bStarted()).toBeGreaterThanOrEqual(30);
    expect(bStarted()).toBeLessThanOrEqual(50);
    expect(events.filter((e) => e.itemId === 'item_b').at(-1)?.kind).toBe('drained');
    // Each reply that played through takes 10 ms off, down to where it started (0).
    for (let reply = 0; reply < 6; reply++) {
      for (const frame of itemFrames(`item_c${reply}`, sine(24_000, 0.1, 440, 0.5), 480, `resp_c${reply}`)) speaker.play(frame);
      clock.advance(400);
    }
    expect(depth()).toBe(0);
    expect(metrics.snapshot()['jitter.underruns']).toBe(1);
  });

  it('an earcon never waits for the jitter buffer, nor counts as a reply', async () => {
    const { clock, events, speaker, metrics } = await rig({ jitterMs: 100 });
    const fromUs = clock.monotonicUs();
    speaker.earcon('listening');
    clock.advance(200);
    const started = events.find((e) => e.kind === 'started');
    expect(started?.itemId).toMatch(/^earcon:/);
    expect(((started?.enteredDeviceUs ?? Number.POSITIVE_INFINITY) - fromUs) / 1000).toBeLessThanOrEqual(10);
    expect(metrics.snapshot()['jitter.depthMs']).toBe(100);
  });

  it('reports the cut item flushed when the audio thread acts on the flush before the call returns', async () => {
    const { clock, events, speaker } = await rig({ jitterMs: 0 }, actingOnFlushAtOnce);
    for (const frame of itemFrames('item_g', sine(24_000, 2, 1000, 0.5)).slice(0, 50)) speaker.play(frame);
    clock.advance(400);
    speaker.flush();
    clock.advance(300);
    expect(events.filter((e) => e.kind !== 'position').map((e) => `${e.kind} ${e.itemId}`)).toEqual(['started item_g', 'flushed item_g']);
  });

  it('after a flush, drops the late frames of an item that had run dry, and of any other item of its response', async () => {
    const { clock, events, speaker, heard, metrics } = await rig({ jitterMs: 0 });
    // Audio slower than real time: half a second, played to its end (drained), the rest still to come.
    const frames = itemFrames('item_e', sine(24_000, 2, 440, 0.5));
    for (const frame of frames.slice(0, 25)) speaker.play(frame);
    clock.advance(1000);
    expect(events.at(-1)).toMatchObject({ kind: 'drained', itemId: 'item_e' });
    speaker.flush();
    clock.advance(300);
    // The person cut in while it was dry: the rest, arriving late, and another item of the cancelled response stay silent.
    for (const frame of frames.slice(25, 50)) speaker.play(frame);
    for (const frame of itemFrames('item_f', sine(24_000, 0.3, 550, 0.5))) speaker.play(frame);
    clock.advance(1000);
    expect(loudSpans(heard(), 0.02, 480)).toHaveLength(1);
    expect(metrics.snapshot()['frames.droppedAfterFlush']).toBe(25 + 15);
  });

  it('fills a gap in an item with silence and ignores a resent frame', async () => {
    const { clock, events, speaker, metrics } = await rig({ jitterMs: 0 });
    const frames = itemFrames('item_e', sine(24_000, 0.5, 1000, 0.5));
    speaker.play(frames[0] as AudioFrame);
    speaker.play(frames[0] as AudioFrame); // resent
    speaker.play(frames[3] as AudioFrame); // frames 1 and 2 lost
    clock.advance(500);
    expect(metrics.snapshot()).toMatchObject({ 'frames.duplicate': 1, 'frames.gapFillFrames': 960 });
    // The timing is kept: four frames' worth (80 ms) heard, though only two arrived (less the
    // couple of ms the resampler's filter still holds at the end of an item).
    expect(events.at(-1)).toMatchObject({ kind: 'drained', receivedMs: 40 });
    expect(events.at(-1)?.heardMs).toBeGreaterThanOrEqual(76);
    expect(events.at(-1)?.heardMs).toBeLessThanOrEqual(80);
  });

  it('plays earcons and applies the volume', async () => {
    const { clock, states, events, speaker, heard } = await rig({ jitterMs: 0 });
    const idleSinceMs = states.at(-1)?.sinceMs;
    clock.advance(250);
    speaker.setVolume(0.5);
    // Republished with the new volume; still idle since it became idle.
    expect(states.at(-1)).toMatchObject({ state: 'idle', volume: 0.5, sinceMs: idleSinceMs });
    speaker.earcon('listening');
    clock.advance(400);
    expect(events.map((e) => [e.kind, e.itemId])).toContainEqual(['drained', 'earcon:listening']);
    const peak = Math.max(...Array.from(heard(), Math.abs));
    expect(peak).toBeGreaterThan(0.25 * 0.5 * 32767 * 0.9);
    expect(peak).toBeLessThan(0.25 * 0.5 * 32767 * 1.1);
  });

  it('mutes without stopping: the item plays silently, reports its position and drains on time', async () => {
    const { clock, states, events, speaker, heard } = await rig({ jitterMs: 0 });
    speaker.setMuted(true);
    expect(states.at(-1)).toMatchObject({ muted: true, volume: 1 });
    for (const frame of itemFrames('item_m', sine(24_000, 0.5, 1000, 0.5))) speaker.play(frame);
    clock.advance(1000);
    expect(events.find((e) => e.kind === 'drained')).toMatchObject({ itemId: 'item_m', receivedMs: 500 });
    expect(events.find((e) => e.kind === 'drained')?.heardMs).toBeGreaterThanOrEqual(498);
    expect(Math.max(...Array.from(heard(), Math.abs))).toBe(0);
    speaker.setMuted(false);
    expect(states.at(-1)).toMatchObject({ muted: false });
    for (const frame of itemFrames('item_n', sine(24_000, 0.3, 1000, 0.5))) speaker.play(frame);
    clock.advance(600);
    expect(Math.max(...Array.from(heard(), Math.abs))).toBeGreaterThan(0.4 * 32767);
  });

  it('reports a missing device as a retained error, drops what arrives meanwhile, and plays when the device is back', async () => {
    const clock = new FakeClock();
    const backend = new FakeAudioBackend(clock, [{ name: 'default', direction: 'playback' }]);
    backend.unplug('default');
    const states: PlaybackStatePayload[] = [];
    const metrics = new MetricsRegistry();
    const { log, lines } = captureLog();
    const speaker = new Speaker(
      { ...PLAYBACK_DEFAULTS, reopenInitialMs: 200 },
      { backend, clock, log, metrics, publishState: (s) => states.push(s), publishItem: () => {}, publishPlayed: () => {} },
    );
    speaker.start();
    await flush();
    expect(states.at(-1)).toMatchObject({ state: 'error', error: { code: 'device_not_found' }, retryInMs: 200 });
    speaker.play(itemFrames('item_f', sine(24_000, 0.1, 1000))[0] as AudioFrame);
    expect(metrics.snapshot()['frames.droppedNoDevice']).toBe(1);
    expect(lines.filter((l) => l.level === 50)).toHaveLength(1);
    backend.plug('default');
    clock.advance(200);
    await flush();
    expect(states.at(-1)?.state).toBe('idle');
    for (const frame of itemFrames('item_g', sine(24_000, 0.2, 1000, 0.5))) speaker.play(frame);
    clock.advance(500);
    expect(loudSpans(samples(backend.heard('default')), 0.1, 480)).toHaveLength(1);
    await speaker.stop();
    expect(states.at(-1)?.state).toBe('stopped');
  });
});
