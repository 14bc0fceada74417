import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { alive, withParent } from '@voxbus/shared/process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { SupervisedCommand } from './supervisor.js';

/** The service Mosquitto stands in for. */
export const BROKER_SERVICE = 'broker';

/**
 * Mosquitto as the broker (VOXBUS_BROKER=mosquitto): deploy/mosquitto/voxbus.conf with a
 * listener on the port of `busUrl`, on loopback, written to a file of its own.
 */
export function mosquittoCommand(repoRoot: string, busUrl: string, env: NodeJS.ProcessEnv): SupervisedCommand {
  const url = new URL(busUrl);
  if (url.protocol !== 'mqtt:') throw new Error(`VOXBUS_BROKER=mosquitto: bus.url ${busUrl} is not mqtt://host:port`);
  const port = url.port === '' ? 1883 : Number(url.port);
  const shipped = readFileSync(join(repoRoot, 'deploy', 'mosquitto', 'voxbus.conf'), 'utf8');
  removeStaleConfigs();
  const dir = mkdtempSync(join(tmpdir(), CONFIG_DIR_PREFIX));
  writeFileSync(join(dir, RUNNER_PID_FILE), String(process.pid));
  const configPath = join(dir, 'voxbus.conf');
  writeFileSync(configPath, `listener ${port} 127.0.0.1\n${withPacketLimit(shipped, env.VOXBUS_BUS__MAX_PAYLOAD_BYTES)}`);
  // Read again at each restart, so kept while the runner runs; removed when it exits, and by the
  // watching shell when the runner was killed with SIGKILL.
  process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
  // Not Node, so it cannot watch the runner itself: a shell stops it when the runner is gone, however it went.
  return { name: 'mosquitto', label: `mosquitto -c ${configPath}`, ...withParent(process.pid, 'mosquitto', ['-c', configPath], dir), env };
}


const CONFIG_DIR_PREFIX = 'voxbus-mosquitto-';
const RUNNER_PID_FILE = 'runner.pid';

/**
 * The configurations of runners that are gone: a runner killed together with its watching shell
 * (a whole process group killed with SIGKILL) could not remove its own. Another runner's, still
 * running, is left alone.
 */
function removeStaleConfigs(): void {
  for (const name of readdirSync(tmpdir())) {
    if (!name.startsWith(CONFIG_DIR_PREFIX)) continue;
    const dir = join(tmpdir(), name);
    try {
      const pid = Number(readFileSync(join(dir, RUNNER_PID_FILE), 'utf8'));
      if (Number.isInteger(pid) && pid > 0 && !alive(pid)) rmSync(dir, { recursive: true, force: true });
    } catch {
      // Not a runner's (no pid file: a test's own Mosquitto), or not ours to read: left alone.
    }
  }
}

/** Room for the topic and the packet's own header, which Mosquitto counts in max_packet_size. */
export const PACKET_OVERHEAD_BYTES = 1024;

/**
 * The shipped configuration with max_packet_size following `bus.maxPayloadBytes` when it is set
 * (VOXBUS_BUS__MAX_PAYLOAD_BYTES), so a payload over the services' limit disconnects its sender
 * under Mosquitto as under the broker service.
 */
export function withPacketLimit(conf: string, maxPayloadBytes: string | undefined): string {
  if (maxPayloadBytes === undefined || maxPayloadBytes.trim() === '') return conf;
  const bytes = Number(maxPayloadBytes);
  if (!Number.isInteger(bytes) || bytes <= 0) throw new Error(`VOXBUS_BUS__MAX_PAYLOAD_BYTES=${maxPayloadBytes} is not a positive whole number of bytes`);
  const line = `max_packet_size ${bytes + PACKET_OVERHEAD_BYTES}`;
  return /^max_packet_size .*$/m.test(conf) ? conf.replace(/^max_packet_size .*$/m, line) : `${conf}\n${line}\n`;
}
