import { spawn } from 'node:child_process';
import { withParent } from '../runtime/parent-watch.js';
import { processTree } from '../runtime/process-tree.js';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, waitForPort } from './net.js';

export interface MosquittoProcess {
  readonly port: number;
  readonly url: string;
  readonly pid: number;
  stop(): Promise<void>;
}

/** The configuration the project ships for Mosquitto (the run command's, and the README's). */
const SHIPPED_CONF = new URL('../../../deploy/mosquitto/voxbus.conf', import.meta.url);

/**
 * Debian's Mosquitto on 127.0.0.1 (a free port unless given) with the shipped configuration
 * (anonymous, no persistence, TCP_NODELAY, the contract's packet limit): the interoperability
 * broker for tests and benchmarks, so they try what users run. Its log is kept and shown only
 * when it fails.
 */
export async function startMosquitto(port?: number): Promise<MosquittoProcess> {
  const chosen = port ?? (await freePort());
  const dir = mkdtempSync(join(tmpdir(), 'voxbus-mosquitto-'));
  const configPath = join(dir, 'mosquitto.conf');
  writeFileSync(configPath, `listener ${chosen} 127.0.0.1\n${readFileSync(SHIPPED_CONF, 'utf8')}`);
  // Watched by a shell that stops it when this process is gone, even killed by SIGKILL.
  const command = withParent(process.pid, 'mosquitto', ['-c', configPath], dir);
  const child = spawn(command.file, command.args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  child.stderr?.on('data', (chunk: Buffer) => (log = (log + chunk.toString()).slice(-4000)));
  const failed = new Promise<never>((_, reject) => {
    child.once('error', (error) => reject(new Error(`cannot start mosquitto (deploy/setup.sh --test installs it): ${error.message}`)));
    child.once('exit', (code) => reject(new Error(`mosquitto exited with ${code}:\n${log}`)));
  });
  failed.catch(() => {});
  await Promise.race([waitForPort(chosen), failed]).catch((error: unknown) => {
    child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
    throw error;
  });
  // Mosquitto's own pid (its memory is measured), not the watching shell's.
  const pid = processTree(child.pid as number).find((candidate) => commandName(candidate) === 'mosquitto') ?? (child.pid as number);
  return {
    port: chosen,
    url: `mqtt://127.0.0.1:${chosen}`,
    pid,
    stop: () =>
      new Promise<void>((resolve) => {
        const done = () => {
          rmSync(dir, { recursive: true, force: true });
          resolve();
        };
        if (child.exitCode !== null || child.signalCode !== null) return done();
        child.removeAllListeners('exit');
        child.once('exit', done);
        child.kill('SIGTERM');
      }),
  };
}

function commandName(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
  } catch {
    return '';
  }
}
