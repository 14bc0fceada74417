import { describe, expect, it } from 'vitest';
import { type VadTransition, VadTracker } from '../src/vad-tracker.js';

const CHUNK_MS = 10;
const at = (chunk: number) => chunk * CHUNK_MS * 1000;

/** Pushes voice decisions from `from`, one per chunk; the transitions said, with the chunk that said each. */
function run(vad: VadTracker, voice: boolean[], from = 0): { chunk: number; transition: VadTransition }[] {
  const said: { chunk: number; transition: VadTransition }[] = [];
  voice.forEach((v, i) => {
    const transition = vad.push(v, at(from + i), CHUNK_MS);
    if (transition !== undefined) said.push({ chunk: from + i, transition });
  });
  return said;
}

const voiceFor = (chunks: number) => Array<boolean>(chunks).fill(true);
const silenceFor = (chunks: number) => Array<boolean>(chunks).fill(false);

describe('VadTracker, a voice said as it begins (voice_onset)', () => {
  it('says the onset once, after onsetMs of voice and dated where the voice began, then speech_started at the minimum', () => {
    const said = run(new VadTracker(150, 250, 0, undefined, 30), [...silenceFor(5), ...voiceFor(20)]);
    expect(said.map((s) => [s.transition.kind, s.chunk, s.transition.timeUs, s.transition.speechMs])).toEqual([
      ['voice_onset', 5 + 2, at(5), 30],
      ['speech_started', 5 + 14, at(5), 150],
    ]);
  });

  it('says an onset for each run of voice that the silence broke off (a cough, then a word), none inside speech', () => {
    const vad = new VadTracker(150, 250, 0, undefined, 30);
    const said = run(vad, [...voiceFor(6), ...silenceFor(3), ...voiceFor(20), ...silenceFor(5), ...voiceFor(10), ...silenceFor(30)]);
    expect(said.map((s) => s.transition.kind)).toEqual(['voice_onset', 'voice_onset', 'speech_started', 'speech_stopped']);
    expect(said[1]?.transition.timeUs).toBe(at(9));
  });

  it('says no onset shorter than onsetMs, and none at all with onsetMs 0', () => {
    expect(run(new VadTracker(150, 250, 0, undefined, 30), [...voiceFor(2), false, ...voiceFor(2), false])).toEqual([]);
    expect(run(new VadTracker(150, 250), voiceFor(20)).map((s) => s.transition.kind)).toEqual(['speech_started']);
  });

  it('says the onset of a voice that needs a vowel to start speech, as soon as there is onsetMs of it', () => {
    const vad = new VadTracker(150, 250, 0, undefined, 30);
    const kinds: string[] = [];
    for (let i = 0; i < 20; i++) {
      const transition = vad.push(true, at(i), CHUNK_MS, false);
      if (transition !== undefined) kinds.push(`${transition.kind}@${i}`);
    }
    // No vowel, no speech: the onset alone, which a listener lets go.
    expect(kinds).toEqual(['voice_onset@2']);
  });
});
