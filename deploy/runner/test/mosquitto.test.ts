import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { mosquittoCommand, withPacketLimit } from '../src/mosquitto.js';

const shipped = readFileSync(new URL('../../mosquitto/voxbus.conf', import.meta.url), 'utf8');

describe("Mosquitto's configuration under the run command", () => {
  it('ships the default payload limit plus 1 KiB for the topic and headers', () => {
    expect(shipped).toMatch(/^max_packet_size 263168$/m);
    expect(withPacketLimit(shipped, undefined)).toBe(shipped);
  });

  it('follows bus.maxPayloadBytes when it is set, and refuses a value that is not a size', () => {
    const conf = withPacketLimit(shipped, '65536');
    expect(conf.match(/^max_packet_size .*$/gm)).toEqual(['max_packet_size 66560']);
    expect(() => withPacketLimit(shipped, '64k')).toThrow('VOXBUS_BUS__MAX_PAYLOAD_BYTES=64k is not a positive whole number of bytes');
  });

  it("removes the configuration a runner killed with its whole process group left, and not a running runner's", () => {
    const runnerDir = (pid: number) => {
      const dir = mkdtempSync(join(tmpdir(), 'voxbus-mosquitto-'));
      writeFileSync(join(dir, 'runner.pid'), String(pid));
      return dir;
    };
    const gonePid = Number(execFileSync('sh', ['-c', 'echo $$'], { encoding: 'utf8' }).trim());
    const stale = runnerDir(gonePid);
    const live = runnerDir(process.pid);
    const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
    const command = mosquittoCommand(repoRoot, 'mqtt://127.0.0.1:18830', {});
    const own = dirname(command.args.at(-2) === '-c' ? (command.args.at(-1) as string) : '');
    try {
      expect(existsSync(stale), `${stale}, of pid ${gonePid} that has ended`).toBe(false);
      expect(existsSync(live), `${live}, of this process`).toBe(true);
      expect(readFileSync(join(own, 'runner.pid'), 'utf8')).toBe(String(process.pid));
    } finally {
      for (const dir of [stale, live, own]) rmSync(dir, { recursive: true, force: true });
    }
  });
});
