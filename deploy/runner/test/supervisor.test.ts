import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Supervisor } from '../src/supervisor.js';
import { tempDir } from '../../../test/helpers/temp-dir.js';

const node = (name: string, code: string) => ({ name, file: process.execPath, args: ['-e', code], env: process.env });

describe("the runner's supervisor", () => {
  it('prefixes every line with the command name, from stdout and stderr, and resolves with how each ended', async () => {
    const lines: string[] = [];
    const exits = await new Supervisor([node('one', 'console.log("a"); console.error("b")'), node('two', 'console.log("c")')], 10, (line) => lines.push(line)).run();
    expect(lines).toEqual(expect.arrayContaining(['[one] a', '[one] b', '[two] c']));
    expect(exits.map((e) => [e.name, e.exitCode]).sort()).toEqual([
      ['one', 0],
      ['two', 0],
    ]);
  });

  it('restarts a command that fails, and not one that ends cleanly', async () => {
    // Fails twice, then ends cleanly: the count is kept in a file across its restarts.
    const counter = join(tempDir('supervisor'), 'runs');
    writeFileSync(counter, '0');
    const code = `const fs = require('fs'); const n = Number(fs.readFileSync(${JSON.stringify(counter)}, 'utf8')) + 1; fs.writeFileSync(${JSON.stringify(counter)}, String(n)); process.exit(n < 3 ? 1 : 0);`;
    const lines: string[] = [];
    const exits = await new Supervisor([node('flaky', code)], 10, (line) => lines.push(line)).run();
    expect(readFileSync(counter, 'utf8')).toBe('3');
    expect(lines.filter((line) => /^\[flaky\] .* restarted$/.test(line))).toHaveLength(2);
    expect(lines.filter((line) => /exited with code 1$/.test(line))).toHaveLength(2);
    expect(exits).toEqual([{ name: 'flaky', exitCode: 0 }]);
  });

  it('passes a stop signal on to every command and restarts none of them', async () => {
    const lines: string[] = [];
    const supervisor = new Supervisor(
      [node('a', 'process.on("SIGTERM", () => process.exit(3)); console.log("up"); setInterval(() => {}, 1000)'), node('b', 'console.log("up"); setInterval(() => {}, 1000)')],
      10,
      (line) => lines.push(line),
    );
    const done = supervisor.run();
    for (const deadline = Date.now() + 10_000; lines.filter((l) => l.endsWith(' up')).length < 2 && Date.now() < deadline; ) await new Promise((r) => setTimeout(r, 20));
    supervisor.stop('SIGTERM');
    const exits = await done;
    expect(Object.fromEntries(exits.map((e) => [e.name, e.exitCode]))).toEqual({ a: 3, b: 'SIGTERM' });
    expect(lines.some((line) => line.includes('restarted'))).toBe(false);
  });

  describe('starting a few at a time', () => {
    // Each prints when it started, says `ready` on fd 3 after `readyAfterMs` (never when negative), stays a while, ends cleanly.
    const service = (name: string, readyAfterMs: number, extra: { startAlone?: boolean } = {}) => ({
      ...node(
        name,
        `console.log("start " + Date.now()); ${readyAfterMs >= 0 ? `setTimeout(() => { console.log("said " + Date.now()); require("fs").writeSync(3, "ready\\n"); }, ${readyAfterMs});` : ''} setTimeout(() => {}, ${Math.max(readyAfterMs, 0) + 600});`,
      ),
      readyFd: true,
      ...extra,
    });
    const times = (lines: string[], name: string, what: 'start' | 'said') => {
      const line = lines.find((l) => l.startsWith(`[${name}] ${what} `));
      if (line === undefined) throw new Error(`no "${what}" line from ${name} in:\n${lines.join('\n')}`);
      return Number(line.split(' ')[2]);
    };

    it('starts the next when one says it is ready, not before', async () => {
      const lines: string[] = [];
      const exits = await new Supervisor([service('a', 300), service('b', 300), service('c', 0)], 10, (line) => lines.push(line), { startingAtOnce: 1, readyTimeoutMs: 10_000 }).run();
      expect(exits.map((e) => e.exitCode)).toEqual([0, 0, 0]);
      expect(times(lines, 'b', 'start'), `b started before a said ready:\n${lines.join('\n')}`).toBeGreaterThanOrEqual(times(lines, 'a', 'said'));
      expect(times(lines, 'c', 'start'), `c started before b said ready:\n${lines.join('\n')}`).toBeGreaterThanOrEqual(times(lines, 'b', 'said'));
    });

    it('starts one that starts alone with nothing beside it, then the others side by side', async () => {
      const lines: string[] = [];
      await new Supervisor([service('broker', 300, { startAlone: true }), service('b', 1000), service('c', 1000)], 10, (line) => lines.push(line), { startingAtOnce: 2, readyTimeoutMs: 10_000 }).run();
      expect(times(lines, 'b', 'start'), `b started before the broker said ready:\n${lines.join('\n')}`).toBeGreaterThanOrEqual(times(lines, 'broker', 'said'));
      expect(times(lines, 'c', 'start'), `c waited for b, though two may start at once:\n${lines.join('\n')}`).toBeLessThan(times(lines, 'b', 'said'));
    });

    it('lets the next start when one says nothing within the time allowed', async () => {
      const lines: string[] = [];
      // The allowance runs from the silent one's spawn, which is within run(): dated here, not by its own first line (a loaded machine boots node late).
      const spawnedMs = Date.now();
      const silent = node('silent', 'console.log("start " + Date.now()); setTimeout(() => {}, 6000);');
      await new Supervisor([{ ...silent, readyFd: true }, service('next', 0)], 10, (line) => lines.push(line), { startingAtOnce: 1, readyTimeoutMs: 300 }).run();
      const nextAfterMs = times(lines, 'next', 'start') - spawnedMs;
      expect(nextAfterMs, `next started before the allowance ran out:\n${lines.join('\n')}`).toBeGreaterThanOrEqual(295);
      // Long before the silent one ended (6 s after its start): the allowance let it go, not the end.
      expect(nextAfterMs, `next waited for the silent one to end:\n${lines.join('\n')}`).toBeLessThan(5000);
    });

    it('lets the next start when one ends before it says it is ready', async () => {
      const lines: string[] = [];
      // Waiting out the time allowed (a minute) would time the test out.
      const exits = await new Supervisor([{ ...node('quits', 'process.exit(0)'), readyFd: true }, service('next', 0)], 10, (line) => lines.push(line), {
        startingAtOnce: 1,
        readyTimeoutMs: 60_000,
      }).run();
      expect(exits).toEqual([
        { name: 'quits', exitCode: 0 },
        { name: 'next', exitCode: 0 },
      ]);
    });

    it('starts none of those still waiting once stopped', async () => {
      const lines: string[] = [];
      const supervisor = new Supervisor([service('first', -1), service('never', 0)], 10, (line) => lines.push(line), { startingAtOnce: 1, readyTimeoutMs: 10_000 });
      const done = supervisor.run();
      for (const deadline = Date.now() + 10_000; !lines.some((l) => l.startsWith('[first] start')) && Date.now() < deadline; ) await new Promise((r) => setTimeout(r, 20));
      supervisor.stop('SIGTERM');
      const exits = await done;
      expect(exits.map((e) => e.name)).toEqual(['first']);
      expect(lines.some((l) => l.startsWith('[never]')), lines.join('\n')).toBe(false);
    });
  });
});
