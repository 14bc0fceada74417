import { type AudioFrame, frameDurationMs } from '@voxbus/shared';
import { lcg, ROOM_NOISES, rms, roomNoise, samples, sine, sineSnrDb, speech } from '@voxbus/shared/testing';
import { beforeAll, describe, expect, it } from 'vitest';
import { DSP_DEFAULTS } from '../src/config.js';
import { add, concat, constant, Harness, START_US, stereo, toFrames } from './dsp-harness.js';

const RATE_HZ = 24_000;
const mean = (values: Int16Array) => values.reduce((sum, v) => sum + v, 0) / Math.max(1, values.length);
const dbfs = (fraction: number) => 20 * Math.log10(Math.max(fraction, 1e-9));
const powerDb = (values: Int16Array) => 20 * Math.log10(Math.max(rms(values), 1e-9));

let talk48k: Int16Array;
beforeAll(async () => {
  talk48k = samples(await speech('Turn on the kitchen lights and tell me the weather for tomorrow, please.', 48_000));
});

describe('the dsp chain, stage by stage, on signals with known answers', () => {
  it('turns a stereo 48 kHz capture into 24 kHz mono frames of 20 ms, numbered without gaps, timed like their input and out as each input frame is in', () => {
    const tone = samples(sine(48_000, 1, 1000, 0.5));
    const harness = new Harness();
    // Frame by frame: each input frame brings its output frame out with it, not one frame later
    // (the resampler holds back the end of every frame: the stream starts padded to make up for it).
    for (const [i, frame] of toFrames(stereo(tone, tone), { sampleRateHz: 48_000, channels: 2 }).entries()) {
      harness.mic([frame]);
      expect(harness.frames.length, `output frames after input frame ${i}`).toBe(i + 1);
    }
    const { frames } = harness;
    expect(frames.every((f) => f.sampleRateHz === RATE_HZ && f.channels === 1 && f.sampleFormat === 's16le' && frameDurationMs(f) === 20)).toBe(true);
    expect(frames.map((f) => f.sequence)).toEqual(frames.map((_, i) => i));
    // Each frame is stamped with its first sample's capture time: 20 ms apart, starting with the
    // input less the padding (the resampler's look-ahead, under 2 ms).
    const leadUs = START_US - (frames[0] as AudioFrame).captureTimeUs;
    expect(leadUs).toBeGreaterThanOrEqual(0);
    expect(leadUs).toBeLessThan(2000);
    for (const [i, f] of frames.entries()) expect(Math.abs(f.captureTimeUs - (START_US - leadUs + i * 20_000))).toBeLessThanOrEqual(50);
    // The sine is whole: resampled cleanly and the channels averaged, not summed.
    const out = harness.output();
    expect(sineSnrDb(out.subarray(480, out.length - 480), RATE_HZ, 1000)).toBeGreaterThan(60);
    expect(Math.abs(dbfs(rms(out.subarray(480)) * Math.SQRT2) - dbfs(0.5))).toBeLessThan(0.2);
    expect(harness.state).toMatchObject({ state: 'running', input: { sampleRateHz: 48_000, channels: 2, sampleFormat: 's16le' }, stages: { resample: true, downmix: 'mix' } });
  });

  it('loses no frame of a microphone stamped from time 0 (the resampler\'s delay would date its first samples before it)', () => {
    const tone = samples(sine(48_000, 0.2, 1000, 0.5));
    const harness = new Harness();
    harness.mic(toFrames(tone, { sampleRateHz: 48_000, startUs: 0 }));
    expect(harness.counter('frames.rejected')).toBe(0);
    expect(harness.frames.map((f) => f.sequence)).toEqual(harness.frames.map((_, i) => i));
    expect(harness.frames.length).toBeGreaterThanOrEqual(9);
    expect(harness.frames.every((f) => f.captureTimeUs >= 0)).toBe(true);
  });

  it('takes one channel when told to pick, and reads s32le and f32le as it reads s16le', () => {
    const tone = samples(sine(48_000, 0.5, 440, 0.5));
    const picked = new Harness({ downmix: 'pick', pickChannel: 1 });
    picked.mic(toFrames(stereo(new Int16Array(tone.length), tone), { sampleRateHz: 48_000, channels: 2 }));
    expect(dbfs(rms(picked.output().subarray(480)) * Math.SQRT2)).toBeCloseTo(dbfs(0.5), 0);

    const outputs = (['s16le', 's32le', 'f32le'] as const).map((sampleFormat) => {
      const harness = new Harness();
      harness.mic(toFrames(tone, { sampleRateHz: 48_000, sampleFormat }));
      return harness.output();
    });
    for (const other of outputs.slice(1)) {
      expect(other.length).toBe(outputs[0]?.length);
      expect(other.every((v, i) => Math.abs(v - (outputs[0]?.[i] as number)) <= 1)).toBe(true);
    }
  });

  it('removes a DC step: 200 ms after it, the offset left is below -70 dBFS, and a 1 kHz tone passes untouched', () => {
    // 300 ms of tone, then a 0.1 full-scale offset (-20 dBFS) steps in under it.
    const tone = samples(sine(48_000, 1, 1000, 0.25));
    const step = concat(new Int16Array(48_000 * 0.3), constant(48_000 * 0.7, 0.1));
    const harness = new Harness({ dcRemoval: true });
    harness.mic(toFrames(add(tone, step), { sampleRateHz: 48_000 }));
    const out = harness.output();
    // From 200 ms after the step, over 100 ms (a whole number of tone periods).
    const from = Math.round(RATE_HZ * 0.5);
    const residual = mean(out.subarray(from, from + RATE_HZ / 10)) / 32768;
    expect(dbfs(Math.abs(residual))).toBeLessThan(-70);
    expect(sineSnrDb(out.subarray(from, from + RATE_HZ / 5), RATE_HZ, 1000)).toBeGreaterThan(40);
    expect(Math.abs(dbfs(rms(out.subarray(from, from + RATE_HZ / 5)) * Math.SQRT2) - dbfs(0.25))).toBeLessThan(0.3);
    // Without the stage the offset goes through.
    const bare = new Harness();
    bare.mic(toFrames(add(tone, step), { sampleRateHz: 48_000 }));
    expect(mean(bare.output().subarray(from, from + RATE_HZ / 10)) / 32768).toBeCloseTo(0.1, 2);
  });

  it('keeps silence silent with every stage on, and reports it as such', () => {
    const harness = new Harness({ dcRemoval: true, echoCancellation: true, noiseSuppression: true, gainControl: true, vad: true });
    harness.mic(toFrames(new Int16Array(48_000), { sampleRateHz: 48_000 }));
    const out = harness.output();
    expect(Math.max(...Array.from(out, Math.abs))).toBe(0);
    expect(harness.vad).toEqual([]);
    // In silence the meters are said once a second, not ten times: one for this second.
    expect(harness.levels.length).toBe(1);
    expect(harness.levels.every((l) => l.input.rmsDbfs === -120 && l.output.peakDbfs === -120 && !l.voice)).toBe(true);
  });

  it('cancels a delayed copy of what the speaker played (matched by timestamps), and says when it has converged', () => {
    // The speaker plays the speech twice over (48 kHz stereo, 10 ms periods, as playback
    // publishes audio/played); the microphone hears it 30 ms later at half the level.
    const played = concat(talk48k, talk48k);
    const echo = concat(new Int16Array(48_000 * 0.03), Int16Array.from(played, (v) => Math.round(v / 2)));
    const harness = new Harness({ echoCancellation: true });
    harness.mic(
      toFrames(echo.subarray(0, played.length), { sampleRateHz: 48_000 }),
      toFrames(stereo(played, played), { sampleRateHz: 48_000, channels: 2, frameMs: 10 }),
    );
    const out = harness.output();
    const second = Math.round(talk48k.length / 2);
    const input = samples(Buffer.from(echo.buffer)).subarray(talk48k.length);
    expect(powerDb(input) - powerDb(out.subarray(second))).toBeGreaterThan(20);
    expect(harness.state.echo).toMatchObject({ active: true, converged: true });
    expect(harness.state.echo.erleDb).toBeGreaterThan(10);
    // The delay beyond the timestamps, found from the signals.
    expect(Math.abs((harness.state.echo.delayMs ?? 0) - 30)).toBeLessThan(3);
    // The retained state is published again only when something in it changed.
    const shown = harness.states.map(({ sinceMs: _, ...rest }) => JSON.stringify(rest));
    for (let i = 1; i < shown.length; i++) expect(shown[i], `state ${i} repeats state ${i - 1}`).not.toBe(shown[i - 1]);
    // With the reference a second off, there is nothing to match: the canceller removes nothing
    // and never converges, and what the speaker plays is kept from the model by the echo gate
    // (as half-duplex would), the echo's level being the reference's.
    const misaligned = new Harness({ echoCancellation: true });
    misaligned.mic(
      toFrames(echo.subarray(0, played.length), { sampleRateHz: 48_000 }),
      toFrames(stereo(played, played), { sampleRateHz: 48_000, channels: 2, frameMs: 10, startUs: START_US + 1_000_000 }),
    );
    expect(misaligned.state.echo.erleDb).toBeLessThan(10);
    expect(misaligned.state.echo.converged).toBe(false);
  });

  it("re-places the reference when the echo comes 25 ms later than it is placed for, however well the canceller's long filter still copes: beyond that the gate's leak check cannot see the echo", () => {
    // The speaker plays the speech three times over; the microphone hears it 30 ms later at half
    // the level, then, for the third time, 55 ms later (the played timeline stood late, or the path moved).
    const played = concat(talk48k, talk48k, talk48k);
    const movedAt = 2 * talk48k.length + 48 * 30;
    const echo = Int16Array.from(played, (_, i) => {
      const from = i - 48 * (i < movedAt ? 30 : 55);
      return from >= 0 ? Math.round((played[from] as number) / 2) : 0;
    });
    const harness = new Harness({ echoCancellation: true });
    harness.mic(toFrames(echo, { sampleRateHz: 48_000 }), toFrames(stereo(played, played), { sampleRateHz: 48_000, channels: 2, frameMs: 10 }));
    const delays = harness.states.map((state) => state.echo.delayMs);
    expect(delays.some((delayMs) => delayMs !== null && Math.abs(delayMs - 30) < 3), `delays in use: ${delays.join(', ')}`).toBe(true);
    expect(Math.abs((harness.state.echo.delayMs ?? 0) - 55), `delays in use: ${delays.join(', ')}`).toBeLessThan(4);
    expect(harness.state.echo.converged).toBe(true);
  });

  it('says when speech starts and stops, with hysteresis, timed on the capture clock', () => {
    const silence = new Int16Array(48_000);
    const harness = new Harness({ vad: true, vadMinSpeechMs: 100, vadMinSilenceMs: 400 });
    harness.mic(toFrames(concat(silence, talk48k, silence), { sampleRateHz: 48_000 }));
    const loud = (v: number) => Math.abs(v) > 300;
    const speechStartUs = START_US + (talk48k.findIndex(loud) / 48_000 + 1) * 1e6;
    const speechEndUs = START_US + ((talk48k.length - [...talk48k].reverse().findIndex(loud)) / 48_000 + 1) * 1e6;
    expect(harness.vad.map((e) => e.kind)).toEqual(['speech_started', 'speech_stopped']);
    const [started, stopped] = harness.vad;
    if (!started || !stopped) throw new Error('two VAD events expected');
    expect(Math.abs(started.timeUs - speechStartUs)).toBeLessThan(100_000);
    // The voice was said as it began (vadOnsetMs of it), dated where the speech then started.
    expect(harness.onsets.map((o) => [o.timeUs, o.speechMs]), `speech started at ${started.timeUs}`).toContainEqual([started.timeUs, DSP_DEFAULTS.vadOnsetMs]);
    expect(Math.abs(stopped.timeUs - speechEndUs)).toBeLessThan(200_000);
    expect(stopped.speechMs).toBeGreaterThan(2000);
    expect(harness.levels.some((l) => l.voice && l.input.rmsDbfs > -40)).toBe(true);
  });

  it("ends a turn on the silence after the voice's last sound, not after the voice decision's hangover (every default stage on; quiet and noisy rooms)", async () => {
    for (const text of ['What will the weather be like tomorrow?', 'Stop. Tell me about tomorrow instead.']) {
      const voice = samples(await speech(text, 48_000));
      for (const noiseAmplitude of [20, 3000]) {
        // The last sound that stands out of the room: a weak final consonant under the noise is not heard.
        const lastSound = voice.length - [...voice].reverse().findIndex((v) => Math.abs(v) > Math.max(300, noiseAmplitude / 2));
        const noise = (length: number, seed: number) => {
          const random = lcg(seed);
          return Int16Array.from({ length }, () => Math.round((random() * noiseAmplitude) / 2));
        };
        const talk = add(voice, noise(voice.length, 1));
        // Just the silence the turn needs after the last sound, and 60 ms: WebRTC's hangover alone (80–140 ms) would not fit.
        const after = noise(((DSP_DEFAULTS.vadMinSilenceMs + 60) * 48_000) / 1000, 2);
        const harness = new Harness({ ...DSP_DEFAULTS, echoCancellation: false });
        harness.mic(toFrames(concat(noise(48_000, 3), talk, after), { sampleRateHz: 48_000 }));
        const where = `"${text}", noise ±${noiseAmplitude / 2}`;
        expect(harness.vad.map((e) => e.kind), where).toEqual(['speech_started', 'speech_stopped']);
        const endUs = START_US + (1 + lastSound / 48_000) * 1e6;
        const stoppedUs = harness.vad[1]?.timeUs ?? 0;
        // A weak final consonant ("instead"'s d) can be under the noise suppressor's floor already.
        expect(stoppedUs - endUs, `${where}: speech_stopped dated ${Math.round((stoppedUs - endUs) / 1000)} ms after the last sound`).toBeGreaterThanOrEqual(-80_000);
        expect(stoppedUs - endUs, `${where}: speech_stopped dated ${Math.round((stoppedUs - endUs) / 1000)} ms after the last sound`).toBeLessThan(50_000);
      }
    }
  });

  it('does not start speech for a click shorter than the minimum', () => {
    const click = samples(sine(48_000, 0.05, 800, 0.5));
    const harness = new Harness({ vad: true, vadMinSpeechMs: 150 });
    harness.mic(toFrames(concat(new Int16Array(48_000), click, new Int16Array(48_000)), { sampleRateHz: 48_000 }));
    expect(harness.vad).toEqual([]);
  });

  it("starts speech on a person's vowels, never on a room's cough, click or knock (bench:e2e's noises, every default stage on)", async () => {
    const silence = new Int16Array(48_000);
    const vadOf = (sound: Int16Array) => {
      const harness = new Harness({ ...DSP_DEFAULTS, echoCancellation: false });
      harness.mic(toFrames(concat(silence, sound, silence, silence), { sampleRateHz: 48_000 }));
      return harness.vad;
    };
    // At every alignment with the 10 ms chunks, and louder: a thud clipped at its peak holds its
    // loudness longer (the 6 dB bound of before let a knock at twice the level through at 2 of 10).
    for (const [i, noise] of ROOM_NOISES.entries()) {
      for (const seed of [i + 1, i + 11]) {
        const base = samples(roomNoise(noise, 48_000, seed));
        for (const gain of [1, 2, 3]) {
          const sound = Int16Array.from(base, (v) => Math.max(-32768, Math.min(32767, Math.round(v * gain))));
          for (let offsetMs = 0; offsetMs < 10; offsetMs++) {
            const late = concat(new Int16Array(offsetMs * 48), sound);
            expect(vadOf(late), `${noise} (seed ${seed}, ×${gain}, ${offsetMs} ms into a chunk)`).toEqual([]);
          }
        }
      }
    }
    // Two short words whose vowels are clipped (espeak-ng's "stop" has 40 ms of clear voicing):
    // the first one starts speech, where it began.
    const stopStop = samples(await speech('Stop, stop', 48_000));
    const [started] = vadOf(stopStop);
    const onsetUs = START_US + (1 + stopStop.findIndex((v) => Math.abs(v) > 300) / 48_000) * 1e6;
    expect(started?.kind).toBe('speech_started');
    expect(Math.abs((started?.timeUs ?? 0) - onsetUs), 'speech_started dated at the first word').toBeLessThan(60_000);
  });
});

describe('the dsp chain, as a stream', () => {
  const tone = samples(sine(48_000, 1, 500, 0.3));

  it('leaves a sequence gap in audio/input where microphone frames were lost, and loses nothing else', () => {
    const harness = Harness.fake();
    const frames = toFrames(tone, { sampleRateHz: 48_000 });
    harness.mic([...frames.slice(0, 10), ...frames.slice(13)]);
    const sequences = harness.frames.map((f) => f.sequence);
    // Ten frames, then three missing, then the rest: the gap shows where the loss was.
    expect(sequences.slice(0, 10)).toEqual([...Array(10).keys()]);
    expect(sequences[10]).toBe(13);
    expect(sequences.slice(10)).toEqual(sequences.slice(10).map((_, i) => 13 + i));
    expect(harness.counter('input.lostMs')).toBe(60);
    const outSamples = harness.frames.reduce((sum, f) => sum + f.pcm.length / 2, 0);
    expect(Math.abs(outSamples - 47 * 480)).toBeLessThanOrEqual(480);
  });

  it('waits while the microphone is muted and carries on, without a gap, when it is back', () => {
    const harness = Harness.fake({ idleAfterMs: 300 });
    harness.mic(toFrames(tone, { sampleRateHz: 48_000 }));
    expect(harness.state.state).toBe('running');
    harness.clock.advance(1000);
    expect(harness.state.state).toBe('waiting');
    expect(harness.states.filter((s) => s.state === 'waiting')).toHaveLength(2); // before the first frame, and now
    const before = harness.frames.length;
    harness.mic(toFrames(tone, { sampleRateHz: 48_000, startUs: START_US + 5_000_000, firstSequence: 50 }));
    expect(harness.state.state).toBe('running');
    const sequences = harness.frames.map((f) => f.sequence);
    expect(sequences).toEqual(sequences.map((_, i) => i));
    expect((harness.frames[before] as AudioFrame).captureTimeUs).toBeCloseTo(START_US + 5_000_000, -2);
    expect(harness.counter('input.lostMs')).toBe(0);
  });

  it('skips and counts a frame it cannot use, and keeps going', () => {
    const harness = Harness.fake({ downmix: 'pick', pickChannel: 1 });
    harness.mic(toFrames(tone, { sampleRateHz: 48_000 }).slice(0, 5)); // mono: there is no channel 1
    expect(harness.counter('frames.rejected')).toBe(5);
    expect(harness.frames).toEqual([]);
    harness.mic(toFrames(stereo(tone, tone), { sampleRateHz: 48_000, channels: 2, firstSequence: 5, startUs: START_US + 100_000 }));
    expect(harness.frames.length).toBeGreaterThan(45);
  });

  it('refuses at start an engine this build does not have, saying which it has', () => {
    expect(() => Harness.fake({ engine: 'webrtc' })).toThrow(/engine is 'webrtc', but this build has only fake/);
  });
});
