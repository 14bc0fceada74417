import { type AudioFrame, defineService, packageVersion, STREAM_TOPICS } from '@voxbus/shared';
import { RECORDER_DEFAULTS, RecorderConfigSchema } from './config.js';
import { Recorder } from './recorder.js';
import { RecordingsFolder } from './recordings.js';

const TAP_OWNER = 'recorder:tap';
const OWNER = 'recorder';

/** The recorder service's definition: run alone by main.ts, or with others in one process (all-in-one). */
export const service = defineService({
  name: 'recorder',
  version: packageVersion(import.meta.url),
  configSchema: RecorderConfigSchema,
  configDefaults: RECORDER_DEFAULTS,
  async start({ config, log, bus, clock, metrics }) {
    const recorder = new Recorder(config, {
      folder: new RecordingsFolder(config.dir),
      clock,
      log,
      metrics,
      publishState: (state) => bus.publish('recorder.state', {}, state),
      tap: (stream, onFrame) => {
        // Two seconds of frames may wait while a handler runs: a recording loses none to a busy moment.
        bus.subscribe(TAP_OWNER, STREAM_TOPICS[stream], {}, ({ payload }) => onFrame(payload as AudioFrame), { queueCapacity: 100 });
        return () => bus.unsubscribeAll(TAP_OWNER);
      },
    });
    bus.subscribe(OWNER, 'recorder.cmd.start', {}, ({ payload }) => recorder.start(payload));
    bus.subscribe(OWNER, 'recorder.cmd.stop', {}, () => recorder.stop());
    bus.subscribe(OWNER, 'recorder.cmd.delete', {}, ({ payload }) => recorder.delete(payload.name));
    log.info({ dir: config.dir }, 'recordings go to this folder');
    return {
      stop() {
        bus.unsubscribeAll(OWNER);
        recorder.close();
      },
    };
  },
});
