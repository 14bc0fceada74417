import { describe, expect, it } from 'vitest';
import { EnergyVad, frameLevel } from '../src/energy-vad.js';
import { espeakVoice, pickVoice, syntheticVoice } from '../src/voice.js';

const DEFAULT_VAD = { type: 'server_vad', threshold: 0.5, prefix_padding_ms: 300, silence_duration_ms: 500, create_response: true, interrupt_response: true, idle_timeout_ms: null };

describe('the simulated model voice', () => {
  // deploy/setup.sh --test installs espeak-ng and sox: the real-speech path is always exercised.
  it('speaks real speech with espeak-ng when installed, at 24 kHz, loud enough for a VAD to hear', async () => {
    expect((await pickVoice('auto')).kind).toBe('espeak-ng');
    const pcm = await espeakVoice.synthesize('Hello from the board, you spoke for two seconds.');
    const seconds = pcm.length / 24000;
    expect(seconds).toBeGreaterThan(1.5);
    expect(seconds).toBeLessThan(6);
    const events = new EnergyVad().push(pcm, DEFAULT_VAD);
    expect(events[0]?.kind).toBe('started');
    expect(frameLevel(pcm, 0, pcm.length)).toBeGreaterThan(0.5);
  });

  it('falls back to a deterministic synthetic signal, one syllable per word', async () => {
    expect((await pickVoice('synthetic')).kind).toBe('synthetic');
    const three = await syntheticVoice.synthesize('one two three');
    expect(three.length).toBe(3 * 240 * 24);
    expect(Math.max(...three) / 32767).toBeCloseTo(0.198, 2); // -14 dBFS
    expect(Math.max(...three)).toBeLessThanOrEqual(Math.ceil(0.25 * 32767));
    expect(await syntheticVoice.synthesize('one two three')).toEqual(three);
  });
});
