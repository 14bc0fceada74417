/** Test signals in s16le, and the measures the audio tests use on them. */

export function sine(sampleRateHz: number, seconds: number, frequencyHz: number, amplitude = 0.3, channels = 1): Buffer {
  const frames = Math.round(sampleRateHz * seconds);
  const pcm = Buffer.alloc(frames * channels * 2);
  for (let frame = 0; frame < frames; frame++) {
    const value = Math.round(amplitude * 32767 * Math.sin((2 * Math.PI * frequencyHz * frame) / sampleRateHz));
    for (let channel = 0; channel < channels; channel++) pcm.writeInt16LE(value, (frame * channels + channel) * 2);
  }
  return pcm;
}

export function samples(pcm: Buffer): Int16Array {
  return new Int16Array(pcm.buffer.slice(pcm.byteOffset, pcm.byteOffset + pcm.length));
}

/** RMS of s16 samples as a fraction of full scale. */
export function rms(values: Int16Array): number {
  let sum = 0;
  for (const value of values) sum += value * value;
  return values.length === 0 ? 0 : Math.sqrt(sum / values.length) / 32768;
}

/** Index of the first sample whose magnitude exceeds `threshold` (fraction of full scale), or -1. */
export function firstAbove(values: Int16Array, threshold: number, from = 0): number {
  const limit = threshold * 32768;
  for (let i = from; i < values.length; i++) if (Math.abs(values[i] as number) > limit) return i;
  return -1;
}

/** Index after the last sample whose magnitude exceeds `threshold`, or 0. */
export function endAbove(values: Int16Array, threshold: number): number {
  const limit = threshold * 32768;
  for (let i = values.length - 1; i >= 0; i--) if (Math.abs(values[i] as number) > limit) return i + 1;
  return 0;
}

/** In-place iterative radix-2 FFT; `re` and `im` have a power-of-two length. */
function fft(re: Float64Array, im: Float64Array, inverse: boolean): void {
  const n = re.length;
  for (let i = 1, j = 0; i < n; i++) {
    let bit = n >> 1;
    for (; j & bit; bit >>= 1) j ^= bit;
    j ^= bit;
    if (i < j) {
      [re[i], re[j]] = [re[j] as number, re[i] as number];
      [im[i], im[j]] = [im[j] as number, im[i] as number];
    }
  }
  for (let size = 2; size <= n; size <<= 1) {
    const angle = ((inverse ? 2 : -2) * Math.PI) / size;
    const stepRe = Math.cos(angle);
    const stepIm = Math.sin(angle);
    for (let start = 0; start < n; start += size) {
      let wRe = 1;
      let wIm = 0;
      for (let k = 0; k < size / 2; k++) {
        const a = start + k;
        const b = a + size / 2;
        const tRe = (re[b] as number) * wRe - (im[b] as number) * wIm;
        const tIm = (re[b] as number) * wIm + (im[b] as number) * wRe;
        re[b] = (re[a] as number) - tRe;
        im[b] = (im[a] as number) - tIm;
        re[a] = (re[a] as number) + tRe;
        im[a] = (im[a] as number) + tIm;
        const nextRe = wRe * stepRe - wIm * stepIm;
        wIm = wRe * stepIm + wIm * stepRe;
        wRe = nextRe;
      }
    }
  }
  if (!inverse) return;
  for (let i = 0; i < n; i++) {
    re[i] = (re[i] as number) / n;
    im[i] = (im[i] as number) / n;
  }
}

export interface Alignment {
  /** Where the reference starts in the recording, in samples (may be negative). */
  readonly lagSamples: number;
  /** Normalised correlation at that lag over the overlap: 1 is an exact (scaled) copy. */
  readonly correlation: number;
}

/**
 * Finds where `reference` occurs in `recording` by FFT cross-correlation, and how well it
 * matches there (normalised over the overlapping part, so a copy with gaps or noise scores
 * below 1).
 */
export function align(reference: Int16Array, recording: Int16Array): Alignment {
  const { values, n } = crossCorrelation(reference, recording);
  let best = 0;
  let bestValue = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < n; i++) {
    if ((values[i] as number) > bestValue) {
      bestValue = values[i] as number;
      best = i;
    }
  }
  const lag = best < n - reference.length ? best : best - n;
  return { lagSamples: lag, correlation: correlationAt(reference, recording, lag) };
}

/**
 * Where `reference` lies wholly inside `recording` with the highest normalised correlation (the
 * raw peak `align` takes can fall where the recording is merely louder). Undefined when the
 * recording is shorter than the reference.
 */
export function bestMatch(reference: Int16Array, recording: Int16Array): Alignment | undefined {
  if (recording.length < reference.length) return undefined;
  const { values } = crossCorrelation(reference, recording);
  let referenceEnergy = 0;
  for (const value of reference) referenceEnergy += value * value;
  // The recording's energy under the reference at each lag, slid along.
  let windowEnergy = 0;
  for (let i = 0; i < reference.length; i++) windowEnergy += (recording[i] as number) ** 2;
  let best: Alignment | undefined;
  for (let lag = 0; lag + reference.length <= recording.length; lag++) {
    if (lag > 0) windowEnergy += (recording[lag + reference.length - 1] as number) ** 2 - (recording[lag - 1] as number) ** 2;
    const denominator = Math.sqrt(referenceEnergy * Math.max(windowEnergy, 0));
    const correlation = denominator === 0 ? 0 : (values[lag] as number) / denominator;
    if (best === undefined || correlation > best.correlation) best = { lagSamples: lag, correlation };
  }
  return best;
}

/** Cross-correlation of `recording` against `reference` by FFT: `values[lag]` for lag ≥ 0, `values[n + lag]` for lag < 0. */
function crossCorrelation(reference: Int16Array, recording: Int16Array): { values: Float64Array; n: number } {
  let n = 1;
  while (n < reference.length + recording.length) n <<= 1;
  const aRe = new Float64Array(n);
  const aIm = new Float64Array(n);
  const bRe = new Float64Array(n);
  const bIm = new Float64Array(n);
  aRe.set(recording);
  bRe.set(reference);
  fft(aRe, aIm, false);
  fft(bRe, bIm, false);
  for (let i = 0; i < n; i++) {
    // recording × conj(reference)
    const re = (aRe[i] as number) * (bRe[i] as number) + (aIm[i] as number) * (bIm[i] as number);
    const im = (aIm[i] as number) * (bRe[i] as number) - (aRe[i] as number) * (bIm[i] as number);
    aRe[i] = re;
    aIm[i] = im;
  }
  fft(aRe, aIm, true);
  return { values: aRe, n };
}

/** Normalised correlation of `reference` against `recording` shifted by `lag`, over their overlap. */
export function correlationAt(reference: Int16Array, recording: Int16Array, lag: number): number {
  let dot = 0;
  let energyA = 0;
  let energyB = 0;
  for (let i = Math.max(0, -lag); i < reference.length && i + lag < recording.length; i++) {
    const a = reference[i] as number;
    const b = recording[i + lag] as number;
    dot += a * b;
    energyA += a * a;
    energyB += b * b;
  }
  return energyA === 0 || energyB === 0 ? 0 : dot / Math.sqrt(energyA * energyB);
}

/** Spans [start, end) where the signal exceeds `threshold`, merged across gaps shorter than `minGapSamples`. */
export function loudSpans(values: Int16Array, threshold: number, minGapSamples: number): [number, number][] {
  const limit = threshold * 32768;
  const spans: [number, number][] = [];
  for (let i = 0; i < values.length; i++) {
    if (Math.abs(values[i] as number) <= limit) continue;
    const last = spans[spans.length - 1];
    if (last !== undefined && i - last[1] < minGapSamples) last[1] = i + 1;
    else spans.push([i, i + 1]);
  }
  return spans;
}

/**
 * Signal-to-noise ratio (dB) of a sine of known frequency in `values`: the best-fitting sine
 * (any phase and amplitude, by least squares) is the signal, whatever is left is noise.
 */
export function sineSnrDb(values: Int16Array, sampleRateHz: number, frequencyHz: number): number {
  let ss = 0;
  let cc = 0;
  let sc = 0;
  let sy = 0;
  let cy = 0;
  for (let i = 0; i < values.length; i++) {
    const s = Math.sin((2 * Math.PI * frequencyHz * i) / sampleRateHz);
    const c = Math.cos((2 * Math.PI * frequencyHz * i) / sampleRateHz);
    const y = values[i] as number;
    ss += s * s;
    cc += c * c;
    sc += s * c;
    sy += s * y;
    cy += c * y;
  }
  const det = ss * cc - sc * sc;
  const a = (sy * cc - cy * sc) / det;
  const b = (cy * ss - sy * sc) / det;
  let signal = 0;
  let noise = 0;
  for (let i = 0; i < values.length; i++) {
    const fit = a * Math.sin((2 * Math.PI * frequencyHz * i) / sampleRateHz) + b * Math.cos((2 * Math.PI * frequencyHz * i) / sampleRateHz);
    signal += fit * fit;
    noise += ((values[i] as number) - fit) ** 2;
  }
  return 10 * Math.log10(signal / Math.max(noise, 1e-9));
}

/**
 * Blocks of `blockSamples` where the reference has sound (above `floor`, a fraction of full
 * scale) but the recording, at `lag`, is more than 6 dB louder or quieter: a dropout, a
 * repeat or an inserted silence. Energy, unlike waveform correlation, does not suffer from the
 * sub-sample delays a sound server's resampler adds (which make fricatives decorrelate).
 */
export function envelopeMismatches(reference: Int16Array, recording: Int16Array, lag: number, blockSamples: number, floor = 0.01): number[] {
  const mismatches: number[] = [];
  for (let at = 0; at + blockSamples <= reference.length; at += blockSamples) {
    const expected = rms(reference.subarray(at, at + blockSamples));
    if (expected < floor) continue;
    const start = at + lag;
    if (start < 0 || start + blockSamples > recording.length) {
      mismatches.push(at);
      continue;
    }
    const got = rms(recording.subarray(start, start + blockSamples));
    if (got < expected / 2 || got > expected * 2) mismatches.push(at);
  }
  return mismatches;
}

/**
 * How much of `reply` the recording played, starting `lag` samples in: the first 10 ms block where
 * the reply has sound and the recording has none for good. The recording is followed, not assumed
 * to be a straight copy: after a gap the reply resumes from (playback underran on a loaded
 * machine) or a stretch of the reply the recorder lost (the sound server dropped its capture), the
 * walk picks the reply up again where the signals say, up to 1.5 s on — or, when the caller knows
 * where in the recording nothing of this reply can be any more (`searchEndSample`: the next reply,
 * which may say the same words, starts there), anywhere before that: a loaded machine has stalled
 * a reply for longer than 1.5 s. `cutAt` is where in the recording the reply stopped (in samples).
 * `soundedMs` is where the last of the reply's sound the recording followed ended: a cut inside a
 * quiet stretch of the reply (a pause between sentences) cannot be told apart from anywhere in it,
 * so the reply was cut somewhere from `soundedMs` to `playedMs`. (A barge-in's cut once fell at a
 * sentence's end: the walk went through the reply's 360 ms pause and said 2660 ms, the truncation
 * 2298.)
 */
export function playedUntil(
  reply: Int16Array,
  heard: Int16Array,
  lag: number,
  rateHz: number,
  options: { searchEndSample?: number } = {},
): { playedMs: number; soundedMs: number; cutAt: number } {
  const block = rateHz / 100;
  // 200 ms of a reply is enough sound to find it again and too little to match anything else.
  const span = rateHz / 5;
  const defaultReach = (rateHz * 3) / 2;
  const searchEnd = options.searchEndSample;
  let at = 0;
  let soundedTo = 0;
  let walked = 0;
  while (at + block <= reply.length && lag + at + block <= heard.length) {
    const expected = rms(reply.subarray(at, at + block));
    const silent = expected > 0.02 && rms(heard.subarray(lag + at, lag + at + block)) < expected / 20;
    const strayedAt = expected > 0.02 && !silent && walked++ % (span / block) === 0 ? strayedFrom(reply.subarray(at, at + span), heard, lag + at, block) : undefined;
    if (strayedAt !== undefined && strayedAt > 0) {
      // The recording follows the reply for a while yet: walk up to where it strays and look
      // again from there, so the span searched for does not straddle the break.
      at += strayedAt;
      walked = 0;
      continue;
    }
    const strayed = strayedAt === 0;
    if (!silent && !strayed) {
      at += block;
      if (expected > 0.02) soundedTo = at;
      continue;
    }
    // An underrun: this part of the reply plays later in the recording.
    const reach = searchEnd === undefined ? defaultReach : Math.max(defaultReach, searchEnd - span - (lag + at));
    const resumed = findLater(reply.subarray(at, at + span), heard.subarray(0, searchEnd ?? heard.length), lag + at, reach);
    if (resumed !== undefined) {
      lag = resumed - at;
      continue;
    }
    // A loss: what the recording holds here is from later in the reply.
    const skippedTo = findLater(heard.subarray(lag + at, lag + at + span), reply, at, defaultReach);
    if (skippedTo !== undefined) {
      lag -= skippedTo - at;
      at = skippedTo;
      continue;
    }
    if (silent) break;
    at += block;
  }
  return { playedMs: (at * 1000) / rateHz, soundedMs: (soundedTo * 1000) / rateHz, cutAt: lag + at };
}

/**
 * When most of `part`'s loud blocks are more than 6 dB off in the recording at `from`: where in
 * `part` the first of them is (samples). Undefined when the recording follows it.
 */
function strayedFrom(part: Int16Array, heard: Int16Array, from: number, block: number): number | undefined {
  let loud = 0;
  for (let i = 0; i + block <= part.length; i += block) if (rms(part.subarray(i, i + block)) >= 0.01) loud++;
  const mismatches = envelopeMismatches(part, heard, from, block);
  return loud >= 5 && mismatches.length * 2 > loud ? mismatches[0] : undefined;
}

/** Where `part` (a sounding span) recurs in `within` after `from`, up to `reach` samples on; undefined when it does not. */
function findLater(part: Int16Array, within: Int16Array, from: number, reach: number): number | undefined {
  if (rms(part) < 0.01) return undefined;
  const window = within.subarray(from + 1, Math.min(within.length, from + 1 + part.length + reach));
  const found = bestMatch(part, window);
  return found !== undefined && found.correlation >= 0.8 ? from + 1 + found.lagSamples : undefined;
}
