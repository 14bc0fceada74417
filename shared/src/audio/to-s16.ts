import type { AudioFrame } from './frame-codec.js';

/**
 * The frame's PCM as s16le, whatever sample format the contract let it carry: s32le keeps its
 * top 16 bits (rounded), f32le is scaled by 32768 and clipped at full scale. An s16le frame's PCM
 * is returned as it is (no copy). A consumer that plays or forwards s16 must come through here:
 * f32 bytes read as s16 are full-scale noise (a hearing-safety matter, not a quality one).
 */
export function pcmAsS16le(frame: AudioFrame): Uint8Array {
  if (frame.sampleFormat === 's16le') return frame.pcm;
  const view = new DataView(frame.pcm.buffer, frame.pcm.byteOffset, frame.pcm.byteLength);
  const samples = frame.pcm.byteLength / 4;
  const out = new Int16Array(samples);
  for (let i = 0; i < samples; i++) {
    const value = frame.sampleFormat === 's32le' ? Math.round(view.getInt32(i * 4, true) / 65536) : Math.round(view.getFloat32(i * 4, true) * 32768);
    // Non-finite floats never get here (the codec refuses them); finite ones may exceed full scale.
    out[i] = Math.min(32767, Math.max(-32768, value));
  }
  return new Uint8Array(out.buffer);
}
