import { readdirSync, readFileSync } from 'node:fs';
import { expect } from 'vitest';

/** The niceness of every thread of process `pid` (the 19th field of each thread's stat, the 17th after the command's closing parenthesis). */
export function threadNices(pid: number): number[] {
  return readdirSync(`/proc/${pid}/task`).map((thread) => Number(readFileSync(`/proc/${pid}/task/${thread}/stat`, 'utf8').split(') ')[1]?.split(' ')[16]));
}

/**
 * A service that opened its audio device (the log line `opened` among its `lines`) set its
 * threads to the default niceness (-10): every one of them, when this test runs as root (or
 * could otherwise), else it said the refusal once.
 */
export function expectAudioThreadsNice(lines: readonly string[], opened: string): void {
  const line = lines.find((l) => l.includes(`"msg":"${opened}"`));
  expect(line, `the log line "${opened}"`).toEqual(expect.any(String));
  // The runner prefixes each service's lines with its name: "[playback] {…}".
  const { pid, nice } = JSON.parse((line as string).slice((line as string).indexOf('{'))) as { pid: number; nice: number | null };
  if (process.getuid?.() === 0) {
    expect({ said: nice, threads: [...new Set(threadNices(pid))] }, `the threads' niceness after "${opened}" (pid ${pid})`).toEqual({ said: -10, threads: [-10] });
  } else {
    expect(lines.filter((l) => l.includes('nice -10 refused')), 'the refusal said once').toHaveLength(1);
  }
}
