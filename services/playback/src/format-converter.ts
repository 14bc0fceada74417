import type { GrantedFormat } from '@voxbus/alsa';
import { Resampler } from '@voxbus/dsp';

/**
 * Turns one stream of incoming audio (an item's frames, an earcon) into the device's format:
 * resampled with speexdsp at the source's channel count (cheaper for mono), then up- or
 * down-mixed. One converter per item, so one item's filter tail never bleeds into the next.
 */
export class FormatConverter {
  private readonly resampler: Resampler;

  constructor(
    readonly sourceRateHz: number,
    readonly sourceChannels: number,
    private readonly device: GrantedFormat,
    quality: number,
  ) {
    this.resampler = new Resampler({ channels: sourceChannels, inRateHz: sourceRateHz, outRateHz: device.sampleRateHz, quality });
  }

  convert(pcm: Uint8Array): Buffer {
    return remix(this.resampler.process(pcm), this.sourceChannels, this.device.channels);
  }
}

/** Interleaved s16 from `from` channels to `to`: copy mono to every channel, average down to mono, or map channel by channel. */
export function remix(pcm: Buffer, from: number, to: number): Buffer {
  if (from === to) return pcm;
  const frames = pcm.length / 2 / from;
  const out = Buffer.alloc(frames * to * 2);
  for (let frame = 0; frame < frames; frame++) {
    if (to === 1) {
      let sum = 0;
      for (let channel = 0; channel < from; channel++) sum += pcm.readInt16LE((frame * from + channel) * 2);
      out.writeInt16LE(Math.round(sum / from), frame * 2);
    } else {
      for (let channel = 0; channel < to; channel++) {
        // Mono goes to every channel; otherwise channel n maps to n, extra outputs repeat the last input.
        const source = from === 1 ? 0 : Math.min(channel, from - 1);
        out.writeInt16LE(pcm.readInt16LE((frame * from + source) * 2), (frame * to + channel) * 2);
      }
    }
  }
  return out;
}
