import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

/**
 * Real speech for tests and benchmarks: espeak-ng's voice, converted by sox to raw s16le mono
 * at the rate asked for (deploy/setup.sh --test installs both).
 */
export async function speech(text: string, sampleRateHz: number): Promise<Buffer> {
  const wav = await run('espeak-ng', ['--stdout', '-v', 'en-us', '-s', '165', text], { encoding: 'buffer', maxBuffer: 64 << 20 });
  const raw = await new Promise<Buffer>((resolve, reject) => {
    const child = execFile(
      'sox',
      ['-t', 'wav', '-', '-t', 'raw', '-e', 'signed-integer', '-b', '16', '-c', '1', '-r', String(sampleRateHz), '-'],
      { encoding: 'buffer', maxBuffer: 64 << 20 },
      (error, stdout) => (error ? reject(error) : resolve(stdout)),
    );
    child.stdin?.end(wav.stdout);
  });
  return raw;
}
