import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { processTree } from '@voxbus/shared/process';
import { describe, expect, it } from 'vitest';
import { cleanupAfterEach } from '../helpers/cleanup.js';
import { REPO_ROOT } from '../helpers/processes.js';
import { waitFor } from '../helpers/wait.js';

const onCleanup = cleanupAfterEach();

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};
const described = (pid: number): string => {
  try {
    return `${pid} ${readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ').trim()}`;
  } catch {
    return String(pid);
  }
};

describe('nothing a test or a benchmark starts outlives it', () => {
  it('stops a virtual board (its PulseAudio daemon) when the process that started it is killed with SIGKILL', async () => {
    // A stand-in for a test or a benchmark: starts a board, says so, and waits to be killed.
    const owner = spawn(
      process.execPath,
      ['--input-type=module', '-e', "import { startVirtualBoard } from '@voxbus/shared/testing'; await startVirtualBoard(); console.log('ready'); setInterval(() => {}, 1000);"],
      { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'inherit'] },
    );
    onCleanup(() => {
      owner.kill('SIGKILL');
    });
    let output = '';
    owner.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    await waitFor('the board to start', () => output.includes('ready') || undefined, 20_000);
    const started = processTree(owner.pid as number).slice(1);
    expect(started.map(described).join('; ')).toMatch(/pulseaudio/);
    owner.kill('SIGKILL');
    await waitFor('the board to stop', () => started.every((pid) => !alive(pid)) || undefined, 10_000).catch(() => {
      throw new Error(`still running 10 s after their owner was killed: ${started.filter(alive).map(described).join('; ')}`);
    });
  });
});
