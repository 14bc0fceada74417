import { AudioThreadsNice, setThreadsNice, type ThreadNiceDeps } from '@voxbus/alsa';
import { describe, expect, it } from 'vitest';

/** Threads whose niceness is kept in a map; `refuse`: the error setting one throws, as Node's setPriority does. */
function fakeThreads(ids: number[], refuse?: { threadId: number; code: string }): ThreadNiceDeps & { nice: Map<number, number> } {
  const nice = new Map(ids.map((id) => [id, 0]));
  return {
    nice,
    threads: () => ids,
    setNice(threadId, value) {
      if (refuse?.threadId === threadId) throw Object.assign(new Error(`uv_os_setpriority returned ${refuse.code}`), { code: 'ERR_SYSTEM_ERROR', info: { code: refuse.code } });
      nice.set(threadId, value);
    },
  };
}

describe('setThreadsNice', () => {
  it('sets every thread of the process, not only the one calling', () => {
    const threads = fakeThreads([100, 101, 102, 117]);
    expect(setThreadsNice(-10, threads)).toEqual({ nice: -10, threads: 4 });
    expect([...threads.nice.values()]).toEqual([-10, -10, -10, -10]);
  });

  it('skips a thread that ended since it was listed', () => {
    const threads = fakeThreads([100, 101, 102], { threadId: 101, code: 'ESRCH' });
    expect(setThreadsNice(-10, threads)).toEqual({ nice: -10, threads: 2 });
  });

  it('says why when it is not allowed (no CAP_SYS_NICE), and what to do', () => {
    const result = setThreadsNice(-10, fakeThreads([100, 101], { threadId: 100, code: 'EACCES' }));
    expect(result).toEqual({ refused: expect.stringContaining('nice -10 refused (EACCES)') });
    expect((result as { refused: string }).refused).toMatch(/root or with CAP_SYS_NICE.*or set nice to 0/);
  });

  it('sets the calling thread where the threads cannot be listed', () => {
    const set: number[] = [];
    const result = setThreadsNice(5, {
      threads: () => {
        throw new Error('ENOENT: /proc/self/task');
      },
      setNice: (threadId) => set.push(threadId),
    });
    expect(result).toEqual({ nice: 5, threads: 1 });
    expect(set).toEqual([0]);
  });

  it("really sets this process's threads (a nice above the current one needs no privilege)", async () => {
    const { spawnSync } = await import('node:child_process');
    // In a child process, so the test runner keeps its own priority.
    // Each thread's nice is the 19th field of its stat (the 17th after the command's closing parenthesis).
    const niceOfThreads = "require('node:fs').readdirSync('/proc/self/task').map((t) => Number(require('node:fs').readFileSync('/proc/self/task/' + t + '/stat', 'utf8').split(') ')[1].split(' ')[16]))";
    const script = `import('@voxbus/alsa').then(({ setThreadsNice }) => { const r = setThreadsNice(7); console.log(JSON.stringify({ r, nice: ${niceOfThreads} })); })`;
    const child = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8', cwd: new URL('..', import.meta.url).pathname });
    expect(child.status, child.stderr).toBe(0);
    const { r, nice } = JSON.parse(child.stdout) as { r: { nice: number; threads: number }; nice: number[] };
    expect(r.nice).toBe(7);
    expect(r.threads).toBeGreaterThan(1);
    expect(new Set(nice), 'every thread of the process at nice 7').toEqual(new Set([7]));
  });
});

describe('AudioThreadsNice', () => {
  /** A backend of no devices whose threads are the fake's; `warnings`: what the service was told. */
  function setup(nice: number, threads: ThreadNiceDeps | undefined) {
    const warnings: string[] = [];
    const backend = {
      listDevices: () => [],
      openCapture: () => Promise.reject(new Error('no device')),
      openPlayback: () => Promise.reject(new Error('no device')),
      ...(threads === undefined ? {} : { setThreadsNice: (value: number) => setThreadsNice(value, threads) }),
    };
    return { niceness: new AudioThreadsNice(backend, nice, (message) => warnings.push(message)), warnings };
  }

  it('sets it at each opening of the device (a reopened stream has new threads)', () => {
    const threads = fakeThreads([1, 2]);
    const { niceness, warnings } = setup(-10, threads);
    expect([niceness.apply(), niceness.apply()]).toEqual([-10, -10]);
    expect([...threads.nice.values()]).toEqual([-10, -10]);
    expect(warnings).toEqual([]);
  });

  it('says a refusal once, however often the device reopens, and runs on', () => {
    const { niceness, warnings } = setup(-10, fakeThreads([1, 2], { threadId: 1, code: 'EPERM' }));
    expect([niceness.apply(), niceness.apply(), niceness.apply()]).toEqual([null, null, null]);
    expect(warnings).toEqual([expect.stringContaining('nice -10 refused (EPERM)')]);
  });

  it('leaves the threads alone with nice 0, or a backend without threads of its own', () => {
    const threads = fakeThreads([1]);
    expect(setup(0, threads).niceness.apply()).toBeNull();
    expect(threads.nice.get(1)).toBe(0);
    expect(setup(-10, undefined).niceness.apply()).toBeNull();
  });
});
