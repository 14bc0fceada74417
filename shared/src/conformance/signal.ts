import type { AudioFrame } from '../audio/frame-codec.js';
import { pcmAsS16le } from '../audio/to-s16.js';

/** The kit's test tone: what the gateway would send, 24 kHz mono s16le. */
export const KIT_RATE_HZ = 24_000;
export const KIT_FRAME_MS = 20;
const FRAME_SAMPLES = (KIT_RATE_HZ * KIT_FRAME_MS) / 1000;

/** A sine at `amplitude` of full scale, as s16le. */
export function tone(frequencyHz: number, durationMs: number, amplitude: number): Buffer {
  const samples = Math.round((KIT_RATE_HZ * durationMs) / 1000);
  const pcm = Buffer.alloc(samples * 2);
  for (let i = 0; i < samples; i++) pcm.writeInt16LE(Math.round(amplitude * 32767 * Math.sin((2 * Math.PI * frequencyHz * i) / KIT_RATE_HZ)), i * 2);
  return pcm;
}

/** `pcm` cut into 20 ms frames tagged as the gateway tags an item, starting at `firstOffset` samples. */
export function itemFrames(responseId: string, itemId: string, pcm: Buffer, firstOffset = 0, firstSequence = 0): AudioFrame[] {
  const frames: AudioFrame[] = [];
  for (let at = 0; at * 2 < pcm.length; at += FRAME_SAMPLES) {
    frames.push({
      sampleRateHz: KIT_RATE_HZ,
      channels: 1,
      sampleFormat: 's16le',
      sequence: firstSequence + frames.length,
      captureTimeUs: Number(process.hrtime.bigint() / 1000n),
      item: { responseId, itemId, sampleOffset: firstOffset + at },
      pcm: pcm.subarray(at * 2, (at + FRAME_SAMPLES) * 2),
    });
  }
  return frames;
}

/** RMS level of a frame in dBFS (all channels), whatever its sample format; −120 for digital silence. */
export function levelDbfs(frame: AudioFrame): number {
  const pcm = pcmAsS16le(frame);
  // A frame decoded from a message may start at an odd byte of the message's buffer.
  const aligned = pcm.byteOffset % 2 === 0 ? pcm : Uint8Array.from(pcm);
  const samples = new Int16Array(aligned.buffer, aligned.byteOffset, aligned.byteLength / 2);
  if (samples.length === 0) return -120;
  let sum = 0;
  for (const s of samples) sum += s * s;
  const rms = Math.sqrt(sum / samples.length) / 32768;
  return rms > 1e-6 ? 20 * Math.log10(rms) : -120;
}
