import type { EarconName } from '@voxbus/shared';

// Short synthesised cues: no files to ship, and any rate or channel count the device wants.
export type { EarconName };

/** [frequency Hz, duration ms] notes of each cue. */
const NOTES: Record<EarconName, readonly (readonly [number, number])[]> = {
  listening: [
    [660, 70],
    [880, 90],
  ],
  thinking: [[523, 110]],
  error: [
    [440, 110],
    [330, 160],
  ],
};

const AMPLITUDE = 0.25;
const EDGE_MS = 8;

export function synthesizeEarcon(name: EarconName, sampleRateHz: number, channels: number): Buffer {
  const notes = NOTES[name];
  const totalFrames = notes.reduce((sum, [, ms]) => sum + Math.round((ms * sampleRateHz) / 1000), 0);
  const pcm = Buffer.alloc(totalFrames * channels * 2);
  let frame = 0;
  for (const [frequencyHz, ms] of notes) {
    const frames = Math.round((ms * sampleRateHz) / 1000);
    const edge = Math.min(frames / 2, (EDGE_MS * sampleRateHz) / 1000);
    for (let i = 0; i < frames; i++, frame++) {
      // Raised-cosine edges on every note: no clicks between notes or at the ends.
      const envelope = i < edge ? 0.5 - 0.5 * Math.cos((Math.PI * i) / edge) : i > frames - edge ? 0.5 - 0.5 * Math.cos((Math.PI * (frames - i)) / edge) : 1;
      const value = Math.round(AMPLITUDE * envelope * 32767 * Math.sin((2 * Math.PI * frequencyHz * i) / sampleRateHz));
      for (let channel = 0; channel < channels; channel++) pcm.writeInt16LE(value, (frame * channels + channel) * 2);
    }
  }
  return pcm;
}
