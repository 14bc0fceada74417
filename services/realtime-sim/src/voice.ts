import { spawn } from 'node:child_process';
import { SAMPLES_PER_MS } from './energy-vad.js';

/** What the simulated model speaks with. */
export interface Voice {
  readonly kind: 'espeak-ng' | 'synthetic';
  /** PCM16 mono 24 kHz for `text`. */
  synthesize(text: string): Promise<Int16Array>;
}

function run(command: string, args: string[], input?: Buffer): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    let err = '';
    child.stdout.on('data', (chunk: Buffer) => out.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
    child.once('error', reject);
    child.once('close', (code) => (code === 0 ? resolve(Buffer.concat(out)) : reject(new Error(`${command} exited ${code}: ${err.trim()}`))));
    child.stdin.end(input);
  });
}

/** Real speech: espeak-ng (22.05 kHz WAV) resampled by sox to 24 kHz PCM16. */
export const espeakVoice: Voice = {
  kind: 'espeak-ng',
  async synthesize(text) {
    const wav = await run('espeak-ng', ['--stdout', '-v', 'en-us', '-s', '165', text]);
    const raw = await run('sox', ['-t', 'wav', '-', '-t', 'raw', '-r', '24000', '-e', 'signed', '-b', '16', '-c', '1', '-'], wav);
    return new Int16Array(raw.buffer, raw.byteOffset, Math.floor(raw.length / 2)).slice();
  },
};

/**
 * A clearly synthetic voice: one 180 ms harmonic "syllable" (200/400/600 Hz, raised-cosine
 * envelope) per word with 60 ms gaps, peaking at -14 dBFS (0.198 of full scale; the harmonics
 * never peak together, so the -12 dBFS ceiling is not reached). Deterministic, so tests can
 * check what they hear.
 */
export const syntheticVoice: Voice = {
  kind: 'synthetic',
  async synthesize(text) {
    const words = Math.max(1, text.split(/\s+/).filter(Boolean).length);
    const syllableSamples = 180 * SAMPLES_PER_MS;
    const gapSamples = 60 * SAMPLES_PER_MS;
    const out = new Int16Array(words * (syllableSamples + gapSamples));
    for (let w = 0; w < words; w++) {
      const base = w * (syllableSamples + gapSamples);
      for (let i = 0; i < syllableSamples; i++) {
        const t = i / (SAMPLES_PER_MS * 1000);
        const envelope = 0.5 - 0.5 * Math.cos((2 * Math.PI * i) / syllableSamples);
        const tone = Math.sin(2 * Math.PI * 200 * t) + 0.5 * Math.sin(2 * Math.PI * 400 * t) + 0.25 * Math.sin(2 * Math.PI * 600 * t);
        out[base + i] = Math.round((tone / 1.75) * envelope * 0.25 * 32767);
      }
    }
    return out;
  },
};

async function available(command: string): Promise<boolean> {
  try {
    await run(command, ['--version']);
    return true;
  } catch {
    return false;
  }
}

/** `auto`: espeak-ng when it and sox are installed, else the synthetic voice. */
export async function pickVoice(preference: 'auto' | 'espeak-ng' | 'synthetic'): Promise<Voice> {
  if (preference === 'synthetic') return syntheticVoice;
  const canSpeak = (await available('espeak-ng')) && (await available('sox'));
  if (canSpeak) return espeakVoice;
  if (preference === 'espeak-ng') throw new Error('voice "espeak-ng" needs espeak-ng and sox installed (deploy/setup.sh --test installs them)');
  return syntheticVoice;
}
