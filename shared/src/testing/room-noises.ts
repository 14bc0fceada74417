/** Short noises a room makes while the assistant talks; none of them is a person speaking. */
export const ROOM_NOISES = ['cough', 'click', 'knock'] as const;
export type RoomNoise = (typeof ROOM_NOISES)[number];

/** Deterministic uniform white noise in [-1, 1), the same for the same seed on every run. */
export function lcg(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1_664_525) + 1_013_904_223) >>> 0;
    return state / 2 ** 31 - 1;
  };
}

function pcm(values: Float64Array): Buffer {
  const out = Buffer.alloc(values.length * 2);
  for (const [i, v] of values.entries()) out.writeInt16LE(Math.round(Math.max(-1, Math.min(1, v)) * 32_767), i * 2);
  return out;
}

/**
 * A room noise, mono s16le at `rateHz`: a cough (250 ms of noise, a sharp attack and a 60 ms
 * decay, loud), a click (5 ms at full scale), a knock (two 150 Hz thuds 120 ms apart, each dying
 * in 15 ms). Loud and short, as what cuts a reply by mistake is.
 */
export function roomNoise(name: RoomNoise, rateHz: number, seed = 1): Buffer {
  const random = lcg(seed);
  if (name === 'cough') return pcm(Float64Array.from({ length: rateHz / 4 }, (_, i) => 0.6 * random() * Math.exp(-i / (0.06 * rateHz))));
  if (name === 'click') return pcm(Float64Array.from({ length: rateHz / 5 }, (_, i) => (i < rateHz / 200 ? (i % 2 === 0 ? 0.9 : -0.9) : 0)));
  const knock = new Float64Array(Math.round(rateHz / 3));
  for (const startMs of [0, 120]) {
    const from = Math.round((startMs * rateHz) / 1000);
    for (let i = 0; i < rateHz / 20; i++) knock[from + i] = 0.7 * Math.sin((2 * Math.PI * 150 * i) / rateHz) * Math.exp(-i / (0.015 * rateHz));
  }
  return pcm(knock);
}
