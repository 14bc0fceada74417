import { execFileSync } from 'node:child_process';
import { NativeDspBackend } from '@voxbus/dsp';
import { samples, sine, sineSnrDb, speech } from '@voxbus/shared/testing';
import { beforeAll, describe, expect, it } from 'vitest';
import { db, delayed, meanPower, mix, resampleInFrames, runProcessor, voiceOptions, whiteNoise } from './dsp-signals.js';

/** How well the addon does its jobs (the contract suite checks that it does them at all). */
const backend = new NativeDspBackend();
const RATE_HZ = 24_000;

let talk: Int16Array;
beforeAll(async () => {
  talk = samples(await speech('The quick brown fox jumps over the lazy dog, and then it runs into the woods.', RATE_HZ));
});

describe('the DSP addon, measured', () => {
  for (const inRateHz of [48_000, 16_000, 44_100]) {
    it(`resamples a 1 kHz sine from ${inRateHz} Hz to 24 kHz at better than 60 dB SNR`, () => {
      const out = resampleInFrames(backend.createResampler({ channels: 1, inRateHz, outRateHz: RATE_HZ }), sine(inRateHz, 1, 1000, 0.5));
      expect(sineSnrDb(out.subarray(1000, 23_000), RATE_HZ, 1000)).toBeGreaterThan(60);
    });
  }

  it('offers the webrtc engine (first) where webrtc-audio-processing 0.3 is installed, and speex always', () => {
    expect(backend.engines).toContain('speex');
    // deploy/setup.sh installs libwebrtc-audio-processing-dev where it is 0.3 (Debian 12, Ubuntu 22.04).
    let installed = true;
    try {
      execFileSync('pkg-config', ['--exists', 'webrtc-audio-processing']);
    } catch {
      installed = false;
    }
    expect(backend.engines[0] === 'webrtc').toBe(installed);
  });

  it.each(
    (
      [
        ['webrtc', 25],
        ['speex', 12],
      ] as const
    ).filter(([engine]) => backend.engines.includes(engine)),
  )('%s cancels a delayed copy of speech by at least %i dB once converged', (engine, minimumDb) => {
    const reference = new Int16Array(talk.length * 2);
    reference.set(talk);
    reference.set(talk, talk.length);
    const mic = mix(delayed(reference, 720, 0.5), whiteNoise(reference.length, 0.0005));
    const { output } = runProcessor(backend.createVoiceProcessor(voiceOptions(engine, { echoCancellation: true })), mic, reference);
    expect(db(meanPower(mic, talk.length) / meanPower(output, talk.length))).toBeGreaterThan(minimumDb);
  });

  it.each((['webrtc', 'speex'] as const).filter((engine) => backend.engines.includes(engine)))('%s takes steady hiss down by at least 10 dB and keeps speech within 6 dB', (engine) => {
    const hiss = whiteNoise(talk.length + RATE_HZ * 2, 0.003);
    const clean = new Int16Array(hiss.length);
    clean.set(talk, RATE_HZ * 2);
    const { output } = runProcessor(backend.createVoiceProcessor(voiceOptions(engine, { noiseSuppression: true, noiseLevel: 'high' })), mix(clean, hiss));
    // The second second, before the speech: hiss only.
    expect(db(meanPower(hiss, RATE_HZ, 2 * RATE_HZ) / meanPower(output, RATE_HZ, 2 * RATE_HZ))).toBeGreaterThan(10);
    const speechEnd = 2 * RATE_HZ + talk.length;
    expect(Math.abs(db(meanPower(output, 2 * RATE_HZ, speechEnd) / meanPower(clean, 2 * RATE_HZ, speechEnd)))).toBeLessThan(6);
  });
});
