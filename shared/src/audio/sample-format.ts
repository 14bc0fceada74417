/** PCM sample encodings a frame may carry. All are interleaved and little-endian. */
export const SAMPLE_FORMATS = ['s16le', 's32le', 'f32le'] as const;
export type SampleFormat = (typeof SAMPLE_FORMATS)[number];

/** Wire codes of the sample formats (byte 5 of the frame header). */
export const SAMPLE_FORMAT_CODES: Readonly<Record<SampleFormat, number>> = {
  s16le: 1,
  s32le: 2,
  f32le: 3,
};

export const BYTES_PER_SAMPLE: Readonly<Record<SampleFormat, number>> = {
  s16le: 2,
  s32le: 4,
  f32le: 4,
};

export function sampleFormatFromCode(code: number): SampleFormat | undefined {
  return SAMPLE_FORMATS.find((format) => SAMPLE_FORMAT_CODES[format] === code);
}
