import { readFileSync, rmSync } from 'node:fs';
import { type AudioFrame, createLogger, MetricsRegistry, type Payload } from '@voxbus/shared';
import { FakeClock } from '@voxbus/shared/testing';
import wavefile from 'wavefile';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../../../test/helpers/temp-dir.js';
import { RECORDER_DEFAULTS, type RecorderConfig } from '../src/config.js';
import { Recorder } from '../src/recorder.js';
import { RecordingsFolder } from '../src/recordings.js';

type State = Payload<'recorder.state'>;

/** 20 ms of 16 kHz mono s16, each sample the frame's number: what was recorded can be read back. */
const frame = (sequence: number): AudioFrame => ({
  sampleRateHz: 16_000,
  channels: 1,
  sampleFormat: 's16le',
  sequence,
  captureTimeUs: sequence * 20_000,
  pcm: new Uint8Array(new Int16Array(320).fill(sequence).buffer),
});

function rig(config: Partial<RecorderConfig> = {}) {
  const dir = tempDir('recorder');
  const clock = new FakeClock();
  const states: State[] = [];
  const taps: { stream: string; onFrame: (frame: AudioFrame) => void; open: boolean }[] = [];
  const metrics = new MetricsRegistry();
  const recorder = new Recorder(
    { ...RECORDER_DEFAULTS, dir, ...config },
    {
      folder: new RecordingsFolder(dir),
      clock,
      log: createLogger('test', 'silent'),
      metrics,
      publishState: (state) => states.push(state),
      tap: (stream, onFrame) => {
        const tapped = { stream, onFrame, open: true };
        taps.push(tapped);
        return () => {
          tapped.open = false;
        };
      },
    },
  );
  const feed = (from: number, count: number) => {
    for (let i = from; i < from + count; i++) for (const t of taps) if (t.open) t.onFrame(frame(i));
  };
  const last = () => states.at(-1) as State;
  return { dir, clock, states, taps, metrics, recorder, feed, last };
}

describe('the recorder', () => {
  it('records a stream for the seconds asked into a WAV on the board, lists it, and deletes it', () => {
    const { dir, clock, recorder, feed, last, taps } = rig();
    recorder.start({ stream: 'mic', seconds: 1, name: 'kitchen' });
    expect(taps.map((t) => t.stream)).toEqual(['mic']);
    expect(last().recording).toMatchObject({ name: 'kitchen', stream: 'mic', untilMs: clock.nowMs() + 1000 });
    feed(0, 10);
    feed(12, 38); // two frames lost on the bus
    clock.advance(1000);
    expect(taps[0]?.open).toBe(false);
    const state = last();
    expect(state.recording).toBeNull();
    expect(state.lastError).toBeNull();
    expect(state.files).toEqual([{ name: 'kitchen', stream: 'mic', bytes: expect.any(Number), durationMs: 960, sampleRateHz: 16_000, channels: 1, missingFrames: 2, atMs: expect.any(Number) }]);
    const wav = new wavefile.WaveFile(readFileSync(`${dir}/kitchen.wav`));
    const samples = wav.getSamples(true, Int16Array) as unknown as Int16Array;
    expect(samples.length).toBe(48 * 320);
    expect([samples[0], samples[320 * 10], samples.at(-1)]).toEqual([0, 12, 49]);
    expect(state.usedBytes).toBe(state.files[0]?.bytes);
    recorder.delete('kitchen');
    expect(last().files).toEqual([]);
    expect(() => readFileSync(`${dir}/kitchen.wav`)).toThrow(/ENOENT/);
  });

  it('stops at the size bound, and refuses a new recording while the folder is full', () => {
    const { recorder, feed, last, metrics } = rig({ maxFileMb: 6400 / 2 ** 20, maxTotalMb: 6000 / 2 ** 20 });
    recorder.start({ stream: 'input', name: 'first' });
    feed(0, 20); // 640 bytes a frame: the tenth fills the 6400 allowed, the eleventh stops it
    expect(last().recording).toBeNull();
    expect(last().files[0]).toMatchObject({ name: 'first', durationMs: 200 });
    recorder.start({ stream: 'input', name: 'second' });
    expect(last().lastError).toMatchObject({ code: 'full' });
    expect(last().recording).toBeNull();
    expect(metrics.counter('commands.refused').value).toBe(1);
  });

  it('says every refusal on its state: busy, a name taken, nothing to stop or delete, no audio heard', () => {
    const { clock, recorder, feed, last, metrics } = rig();
    recorder.start({ stream: 'played', name: 'one' });
    recorder.start({ stream: 'mic' });
    expect(last().lastError).toMatchObject({ code: 'busy' });
    feed(0, 5);
    recorder.stop();
    recorder.start({ stream: 'mic', name: 'one' });
    expect(last().lastError).toMatchObject({ code: 'exists' });
    recorder.stop();
    expect(last().lastError).toMatchObject({ code: 'idle' });
    recorder.delete('nobody');
    expect(last().lastError).toMatchObject({ code: 'not_found' });
    recorder.start({ stream: 'output', seconds: 0.5 });
    clock.advance(500);
    expect(last().lastError).toMatchObject({ code: 'no_audio' });
    expect(last().files.map((f) => f.name)).toEqual(['one']);
    expect(metrics.counter('commands.refused').value).toBe(4);
  });

  it('a restarted recorder lists what is in its folder, and forgets a file deleted by hand', () => {
    const first = rig();
    first.recorder.start({ stream: 'mic', name: 'a' });
    first.feed(0, 5);
    first.recorder.stop();
    first.recorder.start({ stream: 'mic', name: 'b' });
    first.feed(0, 5);
    first.recorder.stop();
    rmSync(`${first.dir}/a.wav`);
    const again = new RecordingsFolder(first.dir);
    expect(again.list().map((f) => f.name)).toEqual(['b']);
  });
});
