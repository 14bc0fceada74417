import { type DspBackend, FakeDspBackend, NativeDspBackend, type VoiceEngineName } from '@voxbus/dsp';
import { samples, sine, sineSnrDb, speech } from '@voxbus/shared/testing';
import { beforeAll, describe, expect, it } from 'vitest';
import { db, delayed, meanPower, mix, resampleInFrames, runProcessor, speechChunks, voiceOptions, whiteNoise } from './dsp-signals.js';

/**
 * One contract, every implementation: the addon's engines (webrtc where built, speex always)
 * and the fake. What one does, the others must do, so the dsp service's tests on the fake say
 * something about the real thing. Quality figures (how much, not whether) are in
 * native-quality.test.ts, for the addon only.
 */
const RATE_HZ = 24_000;
const CHUNK = RATE_HZ / 100;


let talk: Int16Array;
let otherTalk: Int16Array;
beforeAll(async () => {
  talk = samples(await speech('The quick brown fox jumps over the lazy dog, and then it runs into the woods.', RATE_HZ));
  otherTalk = samples(await speech('Please turn the lights off in the kitchen.', RATE_HZ));
});

const native = new NativeDspBackend();
const implementations: [string, DspBackend, VoiceEngineName][] = [
  ...native.engines.map((engine): [string, DspBackend, VoiceEngineName] => [`addon (${engine})`, native, engine]),
  ['fake', new FakeDspBackend(), 'fake'],
];

describe.each(implementations)('dsp contract: %s', (_name, backend, engine) => {
  describe('resampler', () => {
    for (const inRateHz of [48_000, 16_000]) {
      it(`takes a 1 kHz sine from ${inRateHz} Hz to 24 kHz, frame by frame, as a continuous sine`, () => {
        const out = resampleInFrames(backend.createResampler({ channels: 1, inRateHz, outRateHz: RATE_HZ }), sine(inRateHz, 1, 1000, 0.5));
        expect(Math.abs(out.length - RATE_HZ)).toBeLessThan(100);
        expect(sineSnrDb(out.subarray(1000, 23_000), RATE_HZ, 1000)).toBeGreaterThan(25);
      });
    }

    it('keeps time: output sample k lines up with input sample k × in / out', () => {
      // A step at 100 ms of a 48 kHz stream is at 100 ms of the 24 kHz one.
      const step = Buffer.alloc(48_000 * 2);
      for (let i = 4800; i < 48_000; i++) step.writeInt16LE(16_000, i * 2);
      const out = resampleInFrames(backend.createResampler({ channels: 1, inRateHz: 48_000, outRateHz: RATE_HZ }), step);
      const crossing = out.findIndex((value) => value > 8000);
      expect(Math.abs(crossing - 2400)).toBeLessThanOrEqual(2);
    });

    it('keeps the channels of interleaved stereo apart', () => {
      const stereo = Buffer.alloc(24_000 * 4);
      const left = sine(24_000, 1, 500, 0.5);
      for (let i = 0; i < 24_000; i++) stereo.writeInt16LE(left.readInt16LE(i * 2), i * 4);
      const out = resampleInFrames(backend.createResampler({ channels: 2, inRateHz: 24_000, outRateHz: 48_000 }), stereo);
      expect(sineSnrDb(out.filter((_, i) => i % 2 === 0).subarray(2000, 46_000), 48_000, 500)).toBeGreaterThan(25);
      expect(Math.max(...Array.from(out.filter((_, i) => i % 2 === 1), Math.abs))).toBeLessThan(2);
    });

    it('passes equal rates through untouched', () => {
      const pcm = sine(24_000, 0.1, 440);
      expect(backend.createResampler({ channels: 1, inRateHz: 24_000, outRateHz: 24_000 }).process(pcm).equals(pcm)).toBe(true);
    });

    it('refuses bad arguments and partial frames with clear errors, and takes odd-offset slices', () => {
      expect(() => backend.createResampler({ channels: 0, inRateHz: 48_000, outRateHz: 24_000 })).toThrow(/channels must be an integer/);
      expect(() => backend.createResampler({ channels: 1, inRateHz: 48_000, outRateHz: 24_000, quality: 11 })).toThrow(/quality/);
      const resampler = backend.createResampler({ channels: 2, inRateHz: 48_000, outRateHz: 24_000 });
      expect(() => resampler.process(Buffer.alloc(6))).toThrow(/whole frames/);
      expect(() => resampler.process('pcm' as unknown as Buffer)).toThrow(TypeError);
      const mono = backend.createResampler({ channels: 1, inRateHz: 48_000, outRateHz: 24_000 });
      const backing = Buffer.alloc(1 + 960 * 2);
      sine(48_000, 0.02, 1000).copy(backing, 1);
      expect(mono.process(backing.subarray(1)).length).toBeGreaterThan(400 * 2);
    });
  });

  describe('voice processor', () => {
    it('refuses bad options and bad chunks with clear errors', () => {
      expect(() => backend.createVoiceProcessor(voiceOptions('nope' as VoiceEngineName))).toThrow(/engine 'nope' is not available/);
      expect(() => backend.createVoiceProcessor(voiceOptions(engine, { sampleRateHz: 22_050 }))).toThrow(/multiple of 100/);
      expect(() => backend.createVoiceProcessor(voiceOptions(engine, { noiseLevel: 'max' as 'high' }))).toThrow(/noiseLevel must be one of/);
      expect(() => backend.createVoiceProcessor(voiceOptions(engine, { vad: 1 as unknown as boolean }))).toThrow(/vad must be a boolean/);
      const processor = backend.createVoiceProcessor(voiceOptions(engine));
      expect(processor.chunkSamples).toBe(CHUNK);
      expect(() => processor.capture(new Int16Array(CHUNK - 1), 0)).toThrow(/240 samples/);
      expect(() => processor.capture(new Uint8Array(480) as unknown as Int16Array, 0)).toThrow(/Int16Array/);
      expect(() => processor.capture(new Int16Array(CHUNK), -5)).toThrow(/delayMs/);
      expect(() => processor.reverse(new Int16Array(10))).toThrow(/240 samples/);
    });

    it('with every stage off, passes the audio through unchanged and says nothing of voice', () => {
      const input = samples(sine(RATE_HZ, 0.5, 440, 0.5));
      const { output, voice } = runProcessor(backend.createVoiceProcessor(voiceOptions(engine)), input);
      let worst = 0;
      for (let i = 0; i < output.length; i++) worst = Math.max(worst, Math.abs((output[i] as number) - (input[i] as number)));
      expect(worst).toBeLessThanOrEqual(1);
      expect(voice.every((v) => !v)).toBe(true);
    });

    it('detects voice in speech and none in silence', () => {
      // Two seconds of a quiet room (detectors learn the room's noise first), then the speech.
      const clean = new Int16Array(talk.length + 3 * RATE_HZ);
      clean.set(talk, 2 * RATE_HZ);
      const input = mix(clean, whiteNoise(clean.length, 0.001)); // a quiet room: -60 dBFS
      const { voice } = runProcessor(backend.createVoiceProcessor(voiceOptions(engine, { vad: true })), input);
      const truth = speechChunks(clean, CHUNK, -30);
      const inSpeech = voice.filter((_, i) => truth[i]);
      expect(inSpeech.filter(Boolean).length / inSpeech.length).toBeGreaterThan(0.6);
      // The second of the room just before the speech: nobody talking.
      expect(voice.slice(100, 195).filter(Boolean).length).toBeLessThanOrEqual(5);
    });

    it('cancels the echo of the reference: a delayed copy loses at least 10 dB once converged, and says so in its stats', () => {
      const reference = new Int16Array(talk.length * 2);
      reference.set(talk);
      reference.set(talk, talk.length);
      const mic = mix(delayed(reference, (RATE_HZ * 20) / 1000, 0.5), whiteNoise(reference.length, 0.0005));
      const processor = backend.createVoiceProcessor(voiceOptions(engine, { echoCancellation: true }));
      expect(processor.stats().erleDb).toBeNull();
      const { output } = runProcessor(processor, mic, reference);
      // The second time through the sentence: converged.
      const from = talk.length;
      expect(db(meanPower(mic, from) / meanPower(output, from))).toBeGreaterThan(10);
      expect(processor.stats().erleDb).toBeGreaterThan(6);
      processor.reset();
      expect(processor.stats().erleDb).toBeNull();
    });

    it('lets the person through while the reference is silent', () => {
      const processor = backend.createVoiceProcessor(voiceOptions(engine, { echoCancellation: true }));
      // Teach it an echo path first, then the person talks with the speaker silent.
      runProcessor(processor, delayed(talk, 480, 0.5), talk);
      const { output } = runProcessor(processor, otherTalk);
      expect(Math.abs(db(meanPower(output) / meanPower(otherTalk)))).toBeLessThan(3);
    });

    it('suppresses steady noise and raises quiet speech when asked', () => {
      const noise = whiteNoise(RATE_HZ * 2, 0.01); // -40 dBFS hiss, nobody talking
      const suppressed = runProcessor(backend.createVoiceProcessor(voiceOptions(engine, { noiseSuppression: true })), noise).output;
      expect(db(meanPower(noise, RATE_HZ) / meanPower(suppressed, RATE_HZ))).toBeGreaterThan(5);
      const quiet = Int16Array.from(talk, (v) => Math.round(v / 30)); // about -30 dB
      const raised = runProcessor(backend.createVoiceProcessor(voiceOptions(engine, { gainControl: true })), quiet).output;
      const half = Math.floor(quiet.length / 2);
      expect(db(meanPower(raised, half) / meanPower(quiet, half))).toBeGreaterThan(6);
    });
  });
});
