import { readdirSync } from 'node:fs';
import { setPriority } from 'node:os';
import type { AudioBackend } from './types.js';

/** Where the threads of this process are listed, and how one's niceness is set (a Linux thread id is a pid to setpriority). */
export interface ThreadNiceDeps {
  threads(): number[];
  setNice(threadId: number, nice: number): void;
}

const linuxThreads: ThreadNiceDeps = {
  threads: () => readdirSync('/proc/self/task').map(Number),
  setNice: (threadId, nice) => setPriority(threadId, nice),
};

export type ThreadNiceResult = { readonly nice: number; readonly threads: number } | { readonly refused: string };

/**
 * Sets every thread of this process to `nice` (-20 to 19): the audio thread, the sound server's
 * client thread the ALSA plugin started inside the process, and the event loop that feeds them.
 * Called once the device is open, as those threads exist then. PulseAudio runs itself at -11 for
 * the same reason. On the virtual board with a core busy, the speaker's stream at normal priority
 * ran short again and again, never reported as an xrun: what it wrote was heard later and later,
 * up to 45 ms a second, then caught up in jumps, and the played timeline its stamps make jumped
 * 51 times in 3 minutes (each restarts the dsp's echo reference, in doubt for a while after); at
 * -10, 23 times. Lower than 0 needs root or CAP_SYS_NICE: refused, the threads stay as they were
 * and the reason is returned.
 */
export function setThreadsNice(nice: number, deps: ThreadNiceDeps = linuxThreads): ThreadNiceResult {
  let threads: number[];
  try {
    threads = deps.threads();
  } catch {
    // No /proc (not Linux): the calling thread, and the threads it starts from now on.
    threads = [0];
  }
  let set = 0;
  for (const threadId of threads) {
    try {
      deps.setNice(threadId, nice);
      set++;
    } catch (error) {
      // Node's SystemError carries the errno's name in `info`.
      const code = (error as { info?: { code?: string } }).info?.code ?? (error as NodeJS.ErrnoException).code;
      // A thread that ended since it was listed.
      if (code === 'ESRCH') continue;
      return { refused: `nice ${nice} refused (${code ?? (error as Error).message}): the audio threads run on at their priority; run it as root or with CAP_SYS_NICE to raise it, or set nice to 0 not to ask` };
    }
  }
  return { nice, threads: set };
}

/**
 * A service's niceness for its audio threads, set each time its device opens; a refusal is said
 * once (an information, not a warning: a container's user may not raise it, and the service
 * works on as before).
 */
export class AudioThreadsNice {
  private refusalSaid = false;

  constructor(
    private readonly backend: AudioBackend,
    private readonly nice: number,
    private readonly say: (message: string) => void,
  ) {}

  /** Sets it (the device just opened); the niceness the threads now run at, or null where they were left as they were. */
  apply(): number | null {
    if (this.nice === 0 || this.backend.setThreadsNice === undefined) return null;
    const result = this.backend.setThreadsNice(this.nice);
    if ('nice' in result) return result.nice;
    if (!this.refusalSaid) this.say(result.refused);
    this.refusalSaid = true;
    return null;
  }
}
