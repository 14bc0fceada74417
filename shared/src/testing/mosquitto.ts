import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, waitForPort } from './net.js';

export interface MosquittoProcess {
  readonly port: number;
  readonly url: string;
  readonly pid: number;
  stop(): Promise<void>;
}

/**
 * Debian's Mosquitto on 127.0.0.1 (a free port unless given), anonymous, no persistence,
 * TCP_NODELAY: the interoperability broker for tests and benchmarks. Its log is kept and shown
 * only when it fails.
 */
export async function startMosquitto(port?: number): Promise<MosquittoProcess> {
  const chosen = port ?? (await freePort());
  const dir = mkdtempSync(join(tmpdir(), 'voxbus-mosquitto-'));
  const configPath = join(dir, 'mosquitto.conf');
  writeFileSync(configPath, `listener ${chosen} 127.0.0.1\nallow_anonymous true\npersistence false\nset_tcp_nodelay true\n`);
  const child = spawn('mosquitto', ['-c', configPath], { stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  child.stderr?.on('data', (chunk: Buffer) => (log = (log + chunk.toString()).slice(-4000)));
  const failed = new Promise<never>((_, reject) => {
    child.once('error', (error) => reject(new Error(`cannot start mosquitto (deploy/setup.sh --test installs it): ${error.message}`)));
    child.once('exit', (code) => reject(new Error(`mosquitto exited with ${code}:\n${log}`)));
  });
  failed.catch(() => {});
  await Promise.race([waitForPort(chosen), failed]);
  return {
    port: chosen,
    url: `mqtt://127.0.0.1:${chosen}`,
    pid: child.pid as number,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        child.removeAllListeners('exit');
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}
