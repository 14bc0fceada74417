import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { processTree } from '@voxbus/shared/process';
import { describe, expect, it } from 'vitest';
import { cleanupAfterEach } from '../helpers/cleanup.js';
import { REPO_ROOT, stillRunning } from '../helpers/processes.js';
import { waitFor } from '../helpers/wait.js';

const onCleanup = cleanupAfterEach();

describe('nothing a test or a benchmark starts outlives it', () => {
  it('stops a virtual board (its PulseAudio daemon) and removes its directory when the process that started it is killed with SIGKILL', async () => {
    // A stand-in for a test or a benchmark: starts a board, says so, and waits to be killed.
    const owner = spawn(
      process.execPath,
      [
        '--input-type=module',
        '-e',
        "import { startVirtualBoard } from '@voxbus/shared/testing'; const board = await startVirtualBoard(); console.log('ready', board.env.XDG_RUNTIME_DIR); setInterval(() => {}, 1000);",
      ],
      { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'inherit'] },
    );
    onCleanup(() => {
      owner.kill('SIGKILL');
    });
    let output = '';
    owner.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    await waitFor('the board to start', () => output.includes('ready') || undefined, 20_000);
    const started = processTree(owner.pid as number).slice(1);
    expect(stillRunning(started).join('; ')).toMatch(/pulseaudio/);
    owner.kill('SIGKILL');
    await waitFor('the board to stop', () => stillRunning(started).length === 0 || undefined, 10_000).catch(() => {
      throw new Error(`still running 10 s after their owner was killed: ${stillRunning(started).join('; ')}`);
    });
    const dir = /ready (\S+)/.exec(output)?.[1];
    expect(dir, `the board's directory in what the owner said: ${output}`).toMatch(/voxbus-board-/);
    expect(existsSync(dir as string), `${dir} left behind`).toBe(false);
  });
});
