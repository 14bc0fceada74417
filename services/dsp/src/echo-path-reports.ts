/** What the echo path tells: counted on the dsp's metrics and said in its log. */
import type { Logger, MetricsRegistry } from '@voxbus/shared';
import type { EchoPathEvents } from './echo-path.js';

export function echoPathReports(log: Logger, metrics: MetricsRegistry): EchoPathEvents {
  const delayChanges = metrics.counter('echo.delayChanges');
  // Delays found that would have moved the reference while the canceller still removed the echo.
  const delaysKept = metrics.counter('echo.delaysKept');
  // The speaker's stream restarted: frames of it lost (the playback's xruns), or its stamps jumped.
  const referenceGaps = metrics.counter('reference.gaps');
  const referenceRestarts = metrics.counter('reference.restarts');
  return {
    delayChanged: (estimate) => {
      delayChanges.inc();
      log.info(estimate, 'echo delay found');
    },
    referenceGap: (continuity) => {
      (continuity.kind === 'gap' ? referenceGaps : referenceRestarts).inc();
      log.debug(continuity, "the speaker's stream restarted");
    },
    delayKept: (found) => {
      delaysKept.inc();
      log.debug(found, 'echo delay found, not followed: the canceller still removes the echo where it is');
    },
    gateOpened: (opening) => log.info(opening, 'a voice over the echo'),
    resynced: (jumpMs) => log.info({ jumpMs }, 'echo reference re-placed'),
  };
}
