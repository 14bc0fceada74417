import type { AudioFrame } from '@voxbus/shared';

/** How a multi-channel frame becomes mono: the average of the channels, or one of them. */
export type Downmix = { readonly mode: 'mix' } | { readonly mode: 'pick'; readonly channel: number };

/**
 * A frame's PCM (s16le, s32le or f32le, interleaved) as mono float samples in [-1, 1).
 * The caller has checked that a picked channel exists.
 */
export function toMonoFloat(frame: AudioFrame, downmix: Downmix): Float32Array {
  const { channels, pcm } = frame;
  const view = new DataView(pcm.buffer, pcm.byteOffset, pcm.byteLength);
  const bytes = frame.sampleFormat === 's16le' ? 2 : 4;
  const read =
    frame.sampleFormat === 's16le'
      ? (at: number) => view.getInt16(at, true) / 32768
      : frame.sampleFormat === 's32le'
        ? (at: number) => view.getInt32(at, true) / 2147483648
        : // Finite (the frame codec refuses others), but not necessarily within full scale.
          (at: number) => Math.max(-1, Math.min(1, view.getFloat32(at, true)));
  const frames = pcm.byteLength / (bytes * channels);
  const out = new Float32Array(frames);
  const stride = bytes * channels;
  if (downmix.mode === 'pick' || channels === 1) {
    const offset = downmix.mode === 'pick' ? downmix.channel * bytes : 0;
    for (let i = 0; i < frames; i++) out[i] = read(i * stride + offset);
  } else {
    for (let i = 0; i < frames; i++) {
      let sum = 0;
      for (let channel = 0; channel < channels; channel++) sum += read(i * stride + channel * bytes);
      out[i] = sum / channels;
    }
  }
  return out;
}

/** Float samples to s16, rounded and clipped. */
export function toInt16(samples: Float32Array): Int16Array {
  const out = new Int16Array(samples.length);
  for (let i = 0; i < samples.length; i++) {
    const value = Math.round((samples[i] as number) * 32768);
    out[i] = value > 32767 ? 32767 : Math.max(value , -32768);
  }
  return out;
}

/** The bytes of an Int16Array, for the resampler and the frame codec (no copy). */
export function int16Bytes(samples: Int16Array): Buffer {
  return Buffer.from(samples.buffer, samples.byteOffset, samples.byteLength);
}

/** The s16le PCM of a Buffer as an Int16Array (copied when the Buffer is not 2-byte aligned). */
export function int16Samples(pcm: Uint8Array): Int16Array {
  if (pcm.byteOffset % 2 === 0) return new Int16Array(pcm.buffer, pcm.byteOffset, pcm.byteLength / 2);
  return new Int16Array(pcm.slice().buffer);
}

/** Power as dBFS, floored at -120 (silence). */
export function powerDbfs(meanSquare: number): number {
  return meanSquare <= 1e-12 ? -120 : Math.max(-120, Math.min(0, 10 * Math.log10(meanSquare)));
}

/** Amplitude (fraction of full scale) as dBFS, floored at -120. */
export function amplitudeDbfs(amplitude: number): number {
  return amplitude <= 1e-6 ? -120 : Math.max(-120, Math.min(0, 20 * Math.log10(amplitude)));
}

/** Mean square of s16 samples, as a fraction of full scale² (0 for none). */
export function power(samples: Int16Array): number {
  let sum = 0;
  for (let i = 0; i < samples.length; i++) {
    const value = samples[i] as number;
    sum += value * value;
  }
  return samples.length === 0 ? 0 : sum / (samples.length * 32768 * 32768);
}
