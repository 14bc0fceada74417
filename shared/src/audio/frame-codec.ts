import { ContractError, ProtocolError } from '../errors.js';
import {
  BYTES_PER_SAMPLE,
  SAMPLE_FORMAT_CODES,
  type SampleFormat,
  sampleFormatFromCode,
} from './sample-format.js';

/**
 * The binary audio frame: a fixed 32-byte little-endian header, an optional item tag
 * (assistant audio), then raw interleaved PCM. Self-describing so that any consumer, in any
 * language, can parse a frame from `docs/contract.md` alone; no per-frame WAV header, no
 * base64. `AUDIO_FRAME_LAYOUT` below is the single description the contract document is
 * generated from, and a test checks this codec against it.
 */
export interface AudioItemTag {
  /** Realtime response id the audio belongs to (may be empty when unknown). */
  readonly responseId: string;
  /** Realtime conversation item id the audio belongs to (non-empty). */
  readonly itemId: string;
  /** Index, per channel, of this frame's first sample within the item's audio. */
  readonly sampleOffset: number;
}

export interface AudioFrame {
  readonly sampleRateHz: number;
  readonly channels: number;
  readonly sampleFormat: SampleFormat;
  /** Per-stream counter, +1 per frame, wrapping at 2^32; a gap means frames were lost. */
  readonly sequence: number;
  /** CLOCK_MONOTONIC time of the first sample, in µs; shared by every process on the host. */
  readonly captureTimeUs: number;
  readonly item?: AudioItemTag | undefined;
  /** Interleaved PCM; its length is a whole number of sample frames. */
  readonly pcm: Uint8Array;
}

export const AUDIO_FRAME_MAGIC = 'VXAF';
/** The magic read as a little-endian u32, for a check without a string. */
const MAGIC_U32 = Buffer.from(AUDIO_FRAME_MAGIC, 'ascii').readUInt32LE(0);
const TWO_POW_32 = 0x1_0000_0000;
export const AUDIO_FRAME_VERSION = 1;
export const AUDIO_FRAME_FIXED_HEADER_BYTES = 32;
export const AUDIO_FRAME_MAX_CHANNELS = 32;
/** 8 kHz (a phone call) is the lowest rate anything speaks at; below it a frame is garbage or an attack. */
export const AUDIO_FRAME_MIN_RATE_HZ = 8000;
export const AUDIO_FRAME_MAX_RATE_HZ = 384_000;
export const AUDIO_FRAME_MAX_ID_BYTES = 255;
/**
 * The longest frame, ms. Streams use 20 ms frames; one 240 KB frame at 1 kHz (two minutes of
 * audio) cost the dsp 2.4 s of CPU and knocked it off the bus: refused before any work is done.
 */
export const AUDIO_FRAME_MAX_DURATION_MS = 1000;
/** Bit 0 of the flags byte: the item tag follows the fixed header. */
export const AUDIO_FRAME_FLAG_ITEM_TAG = 0x01;

const OFFSET = {
  magic: 0,
  version: 4,
  sampleFormat: 5,
  channels: 6,
  flags: 7,
  headerBytes: 8,
  reserved: 10,
  sampleRateHz: 12,
  sequence: 16,
  frameCount: 20,
  captureTimeUs: 24,
  itemSampleOffset: 32,
  itemResponseIdBytes: 36,
} as const;

export interface FrameLayoutField {
  readonly offset: string;
  readonly bytes: string;
  readonly type: string;
  readonly name: string;
  readonly meaning: string;
}

/** The frame layout, as documented in the contract. Offsets are bytes from the frame start. */
export const AUDIO_FRAME_LAYOUT: readonly FrameLayoutField[] = [
  { offset: '0', bytes: '4', type: 'ASCII', name: 'magic', meaning: `"${AUDIO_FRAME_MAGIC}"` },
  { offset: '4', bytes: '1', type: 'u8', name: 'version', meaning: `${AUDIO_FRAME_VERSION}; a reader rejects other versions` },
  {
    offset: '5', bytes: '1', type: 'u8', name: 'sampleFormat',
    meaning: Object.entries(SAMPLE_FORMAT_CODES).map(([name, code]) => `${code} = ${name}`).join(', '),
  },
  { offset: '6', bytes: '1', type: 'u8', name: 'channels', meaning: `1..${AUDIO_FRAME_MAX_CHANNELS}, interleaved` },
  { offset: '7', bytes: '1', type: 'u8', name: 'flags', meaning: 'bit 0: item tag present; other bits 0 (readers ignore them)' },
  { offset: '8', bytes: '2', type: 'u16 LE', name: 'headerBytes', meaning: 'offset of the first PCM byte; readers skip anything between the known header and it' },
  { offset: '10', bytes: '2', type: 'u16 LE', name: 'reserved', meaning: '0' },
  { offset: '12', bytes: '4', type: 'u32 LE', name: 'sampleRateHz', meaning: `${AUDIO_FRAME_MIN_RATE_HZ}..${AUDIO_FRAME_MAX_RATE_HZ}` },
  { offset: '16', bytes: '4', type: 'u32 LE', name: 'sequence', meaning: 'per stream, +1 per frame, wraps at 2^32; a gap means lost frames' },
  { offset: '20', bytes: '4', type: 'u32 LE', name: 'frameCount', meaning: `samples per channel in this frame: at most ${AUDIO_FRAME_MAX_DURATION_MS} ms of them` },
  { offset: '24', bytes: '8', type: 'u64 LE', name: 'captureTimeUs', meaning: 'CLOCK_MONOTONIC time of the first sample, µs (one clock for every process on the host)' },
  { offset: '32', bytes: '4', type: 'u32 LE', name: 'item.sampleOffset', meaning: 'only with flag bit 0: index (per channel) of the first sample within the item' },
  { offset: '36', bytes: '1', type: 'u8', name: 'item.responseIdBytes', meaning: `only with flag bit 0: length R of the response id, 0..${AUDIO_FRAME_MAX_ID_BYTES}` },
  { offset: '37', bytes: 'R', type: 'UTF-8', name: 'item.responseId', meaning: 'only with flag bit 0' },
  { offset: '37+R', bytes: '1', type: 'u8', name: 'item.itemIdBytes', meaning: `only with flag bit 0: length I of the item id, 1..${AUDIO_FRAME_MAX_ID_BYTES}` },
  { offset: '38+R', bytes: 'I', type: 'UTF-8', name: 'item.itemId', meaning: 'only with flag bit 0' },
  { offset: 'headerBytes', bytes: 'frameCount × channels × bytes per sample', type: 'PCM', name: 'pcm', meaning: 'interleaved samples, little-endian; nothing may follow' },
];

export function bytesPerSampleFrame(frame: Pick<AudioFrame, 'channels' | 'sampleFormat'>): number {
  return frame.channels * BYTES_PER_SAMPLE[frame.sampleFormat];
}

/** Samples per channel carried by a frame. */
export function frameCount(frame: AudioFrame): number {
  return frame.pcm.length / bytesPerSampleFrame(frame);
}

export function frameDurationMs(frame: AudioFrame): number {
  return (frameCount(frame) * 1000) / frame.sampleRateHz;
}

function checkEncodable(frame: AudioFrame): void {
  const fail = (why: string): never => {
    throw new ContractError(`cannot encode audio frame: ${why}`);
  };
  if (!Number.isInteger(frame.channels) || frame.channels < 1 || frame.channels > AUDIO_FRAME_MAX_CHANNELS) {
    fail(`channels ${frame.channels} is not an integer in 1..${AUDIO_FRAME_MAX_CHANNELS}`);
  }
  if (!Number.isInteger(frame.sampleRateHz) || frame.sampleRateHz < AUDIO_FRAME_MIN_RATE_HZ || frame.sampleRateHz > AUDIO_FRAME_MAX_RATE_HZ) {
    fail(`sampleRateHz ${frame.sampleRateHz} is not an integer in ${AUDIO_FRAME_MIN_RATE_HZ}..${AUDIO_FRAME_MAX_RATE_HZ}`);
  }
  if (SAMPLE_FORMAT_CODES[frame.sampleFormat] === undefined) fail(`unknown sampleFormat ${String(frame.sampleFormat)}`);
  if (!Number.isInteger(frame.sequence) || frame.sequence < 0 || frame.sequence > 0xffff_ffff) {
    fail(`sequence ${frame.sequence} is not a u32`);
  }
  if (!Number.isSafeInteger(frame.captureTimeUs) || frame.captureTimeUs < 0) {
    fail(`captureTimeUs ${frame.captureTimeUs} is not a non-negative safe integer`);
  }
  if (frame.pcm.length % bytesPerSampleFrame(frame) !== 0) {
    fail(`${frame.pcm.length} PCM bytes is not a whole number of ${frame.channels}-channel ${frame.sampleFormat} sample frames`);
  }
  if ((frame.pcm.length / bytesPerSampleFrame(frame)) * 1000 > AUDIO_FRAME_MAX_DURATION_MS * frame.sampleRateHz) {
    fail(`${frame.pcm.length / bytesPerSampleFrame(frame)} frames at ${frame.sampleRateHz} Hz is over the ${AUDIO_FRAME_MAX_DURATION_MS} ms a frame may last`);
  }
  if (frame.sampleFormat === 'f32le') {
    const at = firstNonFinite(Buffer.from(frame.pcm.buffer, frame.pcm.byteOffset, frame.pcm.byteLength));
    if (at !== undefined) fail(`f32le sample ${at} is not finite`);
  }
  const item = frame.item;
  if (item) {
    if (!Number.isInteger(item.sampleOffset) || item.sampleOffset < 0 || item.sampleOffset > 0xffff_ffff) {
      fail(`item.sampleOffset ${item.sampleOffset} is not a u32`);
    }
    if (Buffer.byteLength(item.itemId) < 1) fail('item.itemId is empty');
    if (Buffer.byteLength(item.itemId) > AUDIO_FRAME_MAX_ID_BYTES) fail('item.itemId is longer than 255 bytes');
    if (Buffer.byteLength(item.responseId) > AUDIO_FRAME_MAX_ID_BYTES) fail('item.responseId is longer than 255 bytes');
  }
}

export function encodeAudioFrame(frame: AudioFrame): Buffer {
  checkEncodable(frame);
  const item = frame.item;
  const responseId = item ? Buffer.from(item.responseId, 'utf8') : undefined;
  const itemId = item ? Buffer.from(item.itemId, 'utf8') : undefined;
  const headerBytes =
    AUDIO_FRAME_FIXED_HEADER_BYTES + (responseId && itemId ? 4 + 1 + responseId.length + 1 + itemId.length : 0);
  const out = Buffer.allocUnsafe(headerBytes + frame.pcm.length);
  out.writeUInt32LE(MAGIC_U32, OFFSET.magic);
  out.writeUInt8(AUDIO_FRAME_VERSION, OFFSET.version);
  out.writeUInt8(SAMPLE_FORMAT_CODES[frame.sampleFormat], OFFSET.sampleFormat);
  out.writeUInt8(frame.channels, OFFSET.channels);
  out.writeUInt8(item ? AUDIO_FRAME_FLAG_ITEM_TAG : 0, OFFSET.flags);
  out.writeUInt16LE(headerBytes, OFFSET.headerBytes);
  out.writeUInt16LE(0, OFFSET.reserved);
  out.writeUInt32LE(frame.sampleRateHz, OFFSET.sampleRateHz);
  out.writeUInt32LE(frame.sequence, OFFSET.sequence);
  out.writeUInt32LE(frame.pcm.length / bytesPerSampleFrame(frame), OFFSET.frameCount);
  // Two u32 halves instead of a BigInt: exact for any safe integer, and no allocation.
  out.writeUInt32LE(frame.captureTimeUs % TWO_POW_32, OFFSET.captureTimeUs);
  out.writeUInt32LE(Math.floor(frame.captureTimeUs / TWO_POW_32), OFFSET.captureTimeUs + 4);
  if (item && responseId && itemId) {
    out.writeUInt32LE(item.sampleOffset, OFFSET.itemSampleOffset);
    let at = OFFSET.itemResponseIdBytes;
    out.writeUInt8(responseId.length, at++);
    at += responseId.copy(out, at);
    out.writeUInt8(itemId.length, at++);
    itemId.copy(out, at);
  }
  out.set(frame.pcm, headerBytes);
  return out;
}

/**
 * Parses a frame. The returned `pcm` is a view into `bytes` (no copy). Throws ProtocolError,
 * naming the field, for anything the contract does not allow.
 */
export function decodeAudioFrame(bytes: Uint8Array): AudioFrame {
  const buf = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const fail = (why: string): never => {
    throw new ProtocolError(`bad audio frame: ${why}`);
  };
  if (buf.length < AUDIO_FRAME_FIXED_HEADER_BYTES) {
    fail(`${buf.length} bytes is shorter than the ${AUDIO_FRAME_FIXED_HEADER_BYTES}-byte header`);
  }
  if (buf.readUInt32LE(OFFSET.magic) !== MAGIC_U32) fail(`magic is not "${AUDIO_FRAME_MAGIC}"`);
  const version = buf.readUInt8(OFFSET.version);
  if (version !== AUDIO_FRAME_VERSION) fail(`version ${version} is not supported (expected ${AUDIO_FRAME_VERSION})`);
  const formatCode = buf.readUInt8(OFFSET.sampleFormat);
  const sampleFormat = sampleFormatFromCode(formatCode) ?? fail(`sampleFormat code ${formatCode} is unknown`);
  const channels = buf.readUInt8(OFFSET.channels);
  if (channels < 1 || channels > AUDIO_FRAME_MAX_CHANNELS) fail(`channels ${channels} is outside 1..${AUDIO_FRAME_MAX_CHANNELS}`);
  const flags = buf.readUInt8(OFFSET.flags);
  const headerBytes = buf.readUInt16LE(OFFSET.headerBytes);
  if (headerBytes < AUDIO_FRAME_FIXED_HEADER_BYTES || headerBytes > buf.length) {
    fail(`headerBytes ${headerBytes} is outside ${AUDIO_FRAME_FIXED_HEADER_BYTES}..${buf.length}`);
  }
  const sampleRateHz = buf.readUInt32LE(OFFSET.sampleRateHz);
  if (sampleRateHz < AUDIO_FRAME_MIN_RATE_HZ || sampleRateHz > AUDIO_FRAME_MAX_RATE_HZ) {
    fail(`sampleRateHz ${sampleRateHz} is outside ${AUDIO_FRAME_MIN_RATE_HZ}..${AUDIO_FRAME_MAX_RATE_HZ}`);
  }
  const sequence = buf.readUInt32LE(OFFSET.sequence);
  const count = buf.readUInt32LE(OFFSET.frameCount);
  if (count * 1000 > AUDIO_FRAME_MAX_DURATION_MS * sampleRateHz) {
    fail(`${count} frames at ${sampleRateHz} Hz is ${Math.round((count * 1000) / sampleRateHz)} ms, over the ${AUDIO_FRAME_MAX_DURATION_MS} ms a frame may last`);
  }
  const captureHigh = buf.readUInt32LE(OFFSET.captureTimeUs + 4);
  if (captureHigh >= 0x20_0000) fail('captureTimeUs is beyond 2^53 µs');
  const captureTimeUs = captureHigh * TWO_POW_32 + buf.readUInt32LE(OFFSET.captureTimeUs);
  let item: AudioItemTag | undefined;
  if (flags & AUDIO_FRAME_FLAG_ITEM_TAG) {
    const readId = (at: number, what: string, minBytes: number): [string, number] => {
      if (at + 1 > headerBytes) fail(`item tag: ${what} length lies past headerBytes`);
      const length = buf.readUInt8(at);
      if (length < minBytes) fail(`item tag: ${what} is empty`);
      if (at + 1 + length > headerBytes) fail(`item tag: ${what} lies past headerBytes`);
      return [buf.toString('utf8', at + 1, at + 1 + length), at + 1 + length];
    };
    if (OFFSET.itemResponseIdBytes > headerBytes) fail('item tag flagged but headerBytes leaves no room for it');
    const sampleOffset = buf.readUInt32LE(OFFSET.itemSampleOffset);
    const [responseId, afterResponse] = readId(OFFSET.itemResponseIdBytes, 'responseId', 0);
    const [itemId] = readId(afterResponse, 'itemId', 1);
    item = { responseId, itemId, sampleOffset };
  }
  const pcm = buf.subarray(headerBytes);
  const expectedPcmBytes = count * channels * BYTES_PER_SAMPLE[sampleFormat];
  if (pcm.length !== expectedPcmBytes) {
    fail(
      `carries ${pcm.length} PCM bytes but its header announces ${expectedPcmBytes} ` +
        `(${count} frames × ${channels} channels × ${BYTES_PER_SAMPLE[sampleFormat]} bytes)`,
    );
  }
  if (sampleFormat === 'f32le') {
    const at = firstNonFinite(pcm);
    if (at !== undefined) fail(`f32le sample ${at} is ${pcm.readFloatLE(at * 4)}: samples must be finite`);
  }
  return { sampleRateHz, channels, sampleFormat, sequence, captureTimeUs, item, pcm };
}

/**
 * The index of the first f32le sample that is NaN or infinite, if any. One such sample makes
 * every recursive filter after it (a high-pass, a canceller, a resampler) NaN for good.
 */
function firstNonFinite(pcm: Buffer): number | undefined {
  // Exponent bits all set: NaN or ±infinity (cheaper than decoding each float).
  for (let i = 0; i + 4 <= pcm.length; i += 4) if ((pcm.readUInt32LE(i) & 0x7f80_0000) === 0x7f80_0000) return i / 4;
  return undefined;
}
