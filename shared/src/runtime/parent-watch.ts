/**
 * Nothing a run command, a test or a benchmark starts may outlive it, even when it is killed with
 * SIGKILL (no handler runs then, and its children are simply handed to init). Whoever starts a
 * process passes its own pid in `VOXBUS_EXIT_WITH_PID`; the process checks every second that
 * it is still there and stops cleanly when it is gone.
 */
export const EXIT_WITH_PID_ENV = 'VOXBUS_EXIT_WITH_PID';
const CHECK_EVERY_MS = 1000;

/** Whether process `pid` exists (someone else's counts). */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: there, but someone else's.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Calls `onGone` once `pid` no longer exists; the timer never keeps the process alive. Returns a stop function. */
export function watchParent(pid: number, onGone: () => void): () => void {
  const timer = setInterval(() => {
    if (alive(pid)) return;
    clearInterval(timer);
    onGone();
  }, CHECK_EVERY_MS);
  timer.unref();
  return () => clearInterval(timer);
}

/** The pid named by VOXBUS_EXIT_WITH_PID, or undefined (unset or not a pid). */
export function exitWithPid(env: NodeJS.ProcessEnv = process.env): number | undefined {
  const value = Number(env[EXIT_WITH_PID_ENV]);
  return Number.isInteger(value) && value > 1 ? value : undefined;
}

/**
 * For a program that cannot watch for itself (Mosquitto, PulseAudio): the command line of a small
 * shell that runs it, passes INT and TERM on, and stops it within a second of `parentPid` being
 * gone. (The kernel's parent-death signal is no help: Mosquitto started as root drops to its own
 * user, which clears it.) `removeDir`: a directory of the parent's for the program (its
 * configuration) that the shell removes once the program has stopped because the parent is gone,
 * so a parent killed with SIGKILL leaves nothing in /tmp either; a program that ends while the
 * parent lives keeps it (the parent may start it again).
 */
const WITH_PARENT_SCRIPT = [
  'parent=$1; dir=$2; shift 2',
  '"$@" & child=$!',
  'trap \'kill -TERM "$child" 2>/dev/null\' INT TERM',
  // `sleep & wait`: a signal interrupts the wait at once (a foreground sleep would hold the trap a second).
  'while kill -0 "$parent" 2>/dev/null && kill -0 "$child" 2>/dev/null; do sleep 1 & wait $!; done',
  'kill -TERM "$child" 2>/dev/null',
  'wait "$child"; status=$?',
  'if [ -n "$dir" ] && ! kill -0 "$parent" 2>/dev/null; then rm -rf -- "$dir"; fi',
  'exit $status',
].join('\n');

export function withParent(parentPid: number, file: string, args: readonly string[], removeDir = ''): { file: string; args: string[] } {
  return { file: 'sh', args: ['-c', WITH_PARENT_SCRIPT, 'with-parent', String(parentPid), removeDir, file, ...args] };
}
