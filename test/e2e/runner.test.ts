import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { processTree } from '@voxbus/shared/process';
import { describe, expect, it } from 'vitest';
import { cleanupAfterEach } from '../helpers/cleanup.js';
import { waitForPort } from '../helpers/ports.js';
import { waitFor } from '../helpers/wait.js';
import { Probe } from '../helpers/probe.js';
import { type Spawned, stackPorts, startRunner, stillRunning } from '../helpers/processes.js';
import { tempDir } from '../helpers/temp-dir.js';

interface Status {
  status: string;
  reason: string;
  pid: number;
  service: string;
}

const onCleanup = cleanupAfterEach();

describe('the run command (every service its own process)', () => {
  it('brings services online, restarts one killed with SIGKILL after its Last Will, and stops all cleanly on Ctrl-C', async () => {
    const ports = await stackPorts();
    const runner: Spawned = startRunner(['broker', 'mic-counter'], ports.env);
    onCleanup(() => runner.stop('SIGKILL'));
    await waitForPort(ports.tcpPort, 15_000);
    const watcher = await Probe.connect(ports.url, { reconnectPeriod: 100, connectTimeout: 10_000 });
    onCleanup(() => watcher.close());
    await watcher.subscribe('voxbus/+/status');

    const online = (service: string, after = 0) =>
      watcher.waitForJson<Status>(`voxbus/${service}/status`, (s) => s.status === 'online', 15_000, after);
    await online('broker');
    const first = await online('mic-counter');
    // Each service runs with the small young generation and two malloc arenas (shared/src/runtime/node-options.ts).
    const environment = readFileSync(`/proc/${first.pid}/environ`, 'utf8').split('\0');
    expect(environment.find((entry) => entry.startsWith('NODE_OPTIONS='))).toMatch(/--max-semi-space-size=\d/);
    expect(environment, 'the malloc arenas a service may use').toContain('MALLOC_ARENA_MAX=2');
    expect(environment, 'the size from which malloc gives a block pages of its own').toContain('MALLOC_MMAP_THRESHOLD_=32768');
    // Retained: a subscriber arriving now is handed both statuses at once.
    const late = await Probe.connect(ports.url);
    onCleanup(() => late.close());
    await late.subscribe('voxbus/+/status');
    await late.waitForJson<Status>('voxbus/mic-counter/status', (s) => s.status === 'online', 5000);
    expect(late.messages.filter((m) => m.retained).map((m) => m.topic).sort()).toEqual(['voxbus/broker/status', 'voxbus/mic-counter/status']);

    const beforeKill = watcher.messages.length;
    process.kill(first.pid, 'SIGKILL');
    const lost = await watcher.waitForJson<Status>('voxbus/mic-counter/status', (s) => s.status === 'offline', 10_000, beforeKill);
    expect(lost).toMatchObject({ reason: 'connection_lost', pid: first.pid });
    const again = await online('mic-counter', beforeKill);
    expect(again.pid).not.toBe(first.pid);
    expect(runner.lines.some((line) => /mic-counter.*restarted/.test(line))).toBe(true);

    const beforeStop = watcher.messages.length;
    runner.child.kill('SIGINT');
    const stopped = await watcher.waitForJson<Status>('voxbus/mic-counter/status', (s) => s.status === 'offline', 10_000, beforeStop);
    expect(stopped.reason).toBe('stopped');
    expect(await runner.exited).toBe(0);
    expect(runner.lines.filter((line) => /exited with code 0/.test(line))).toHaveLength(2);
  });

  it('leaves a service with a configuration error stopped, says so once, and keeps the others running', async () => {
    const ports = await stackPorts();
    const runner: Spawned = startRunner(['broker', 'mic-counter'], { ...ports.env, VOXBUS_LOG__LEVEL: 'shouty' });
    onCleanup(() => runner.stop('SIGKILL'));
    const saidSo = () => runner.lines.filter((line) => /^\[[a-z-]+\] \[runner\] [a-z-]+ has a configuration error/.test(line));
    await waitFor('the runner to give up on both', () => saidSo().length === 2, 15_000);
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect(runner.lines.filter((line) => line.includes('restarted'))).toHaveLength(0);
    expect(saidSo()).toHaveLength(2);
    expect(runner.lines.some((line) => line.includes('config/log/level must be one of'))).toBe(true);
  });

  it.each([
    ['the broker service', {}],
    ['Mosquitto', { VOXBUS_BROKER: 'mosquitto' }],
  ])('leaves nothing running when the runner itself is killed with SIGKILL (%s)', async (_broker, brokerEnv) => {
    const ports = await stackPorts();
    const runner: Spawned = startRunner(['broker', 'mic-counter'], { ...ports.env, ...brokerEnv });
    onCleanup(() => runner.stop('SIGKILL'));
    await waitForPort(ports.tcpPort, 15_000);
    const watcher = await Probe.connect(ports.url, { reconnectPeriod: 100, connectTimeout: 10_000 });
    onCleanup(() => watcher.close());
    await watcher.subscribe('voxbus/+/status');
    await watcher.waitForJson<Status>('voxbus/mic-counter/status', (s) => s.status === 'online', 15_000);
    const tree = processTree(runner.child.pid as number);
    expect(tree.length, 'the runner and a process per service (in its wrapper) or Mosquitto').toBeGreaterThanOrEqual(4);
    // The runner alone, not its process group: nothing it could catch, nobody to stop its children.
    process.kill(runner.child.pid as number, 'SIGKILL');
    await waitFor('every process the runner started to end', () => stillRunning(tree).length === 0 || undefined, 10_000).catch(() => {
      throw new Error(`still running 10 s after the runner was killed: ${stillRunning(tree).join('; ')}`);
    });
  });

  it("runs a command line in a service's place (any language), restarts it when it fails, and stops it on Ctrl-C", async () => {
    const ports = await stackPorts();
    const log = join(tempDir('replace'), 'log');
    // A stand-in that is not Node: a shell loop that says when it starts and when it is told to stop.
    const standIn = `sh -c 'echo "started $$" >> ${log}; trap "echo stopped >> ${log}; exit 0" TERM; while :; do sleep 0.1; done'`;
    const runner: Spawned = startRunner(['broker', 'mic-counter'], { ...ports.env, VOXBUS_REPLACE_MIC_COUNTER: standIn });
    onCleanup(() => runner.stop('SIGKILL'));
    const lines = () => (existsSync(log) ? readFileSync(log, 'utf8').trim().split('\n') : []);
    const started = () => lines().filter((line) => line.startsWith('started '));
    const story = () => `the stand-in's log: ${lines().join(' | ') || 'empty'}; the runner's lines:\n${runner.lines.join('\n')}`;
    await waitFor('the stand-in to start', () => started().length === 1 || undefined, 15_000).catch(() => {
      throw new Error(`it did not start once: ${story()}`);
    });
    expect(runner.lines).toContain(`[runner] mic-counter is replaced by: ${standIn}`);
    expect(runner.lines.some((line) => /mic-counter\/dist/.test(line)), "the project's mic-counter did not run").toBe(false);

    process.kill(Number((started()[0] as string).split(' ')[1]), 'SIGKILL');
    await waitFor('the stand-in to be restarted', () => started().length === 2 || undefined, 10_000).catch(() => {
      throw new Error(`it was not restarted after kill -9: ${story()}`);
    });
    const tree = processTree(runner.child.pid as number);
    runner.child.kill('SIGINT');
    expect(await runner.exited, story()).toBe(0);
    expect(lines().at(-1), `the stand-in was told to stop: ${story()}`).toBe('stopped');
    await waitFor('every process the runner started to end', () => stillRunning(tree).length === 0 || undefined, 5000).catch(() => {
      throw new Error(`still running after the runner stopped: ${stillRunning(tree).join('; ')}`);
    });
  });

  it('stops every service, restarting none, when told to stop while they are still starting', async () => {
    const ports = await stackPorts();
    const runner: Spawned = startRunner(['broker', 'mic-counter'], ports.env);
    onCleanup(() => runner.stop('SIGKILL'));
    await waitFor('the services started', () => processTree(runner.child.pid as number).length >= 5 || undefined, 10_000);
    const tree = processTree(runner.child.pid as number);
    runner.child.kill('SIGTERM');
    const code = await runner.exited;
    await waitFor('every process the runner started to end', () => stillRunning(tree).length === 0 || undefined, 10_000).catch(() => {
      throw new Error(`still running after the runner stopped: ${stillRunning(tree).join('; ')}`);
    });
    expect(runner.lines.filter((line) => /restarted|starting again/.test(line)), 'restarts during the stop').toEqual([]);
    expect([0, 1]).toContain(code);
  });
});
