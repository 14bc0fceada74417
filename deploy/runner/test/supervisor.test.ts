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
});
