import type { AudioFrame, Clock, Logger, MetricsRegistry, Payload, RecordableStream } from '@voxbus/shared';
import { WavRecorder } from '@voxbus/shared/wav';
import type { RecorderConfig } from './config.js';
import { defaultName, type RecordingsFolder } from './recordings.js';

type RecorderState = Payload<'recorder.state'>;
type Start = Payload<'recorder.cmd.start'>;

export interface RecorderDeps {
  readonly folder: RecordingsFolder;
  readonly clock: Clock;
  readonly log: Logger;
  readonly metrics: MetricsRegistry;
  readonly publishState: (state: RecorderState) => void;
  /** Starts delivering one stream's frames to `onFrame`; returns the stop. */
  readonly tap: (stream: RecordableStream, onFrame: (frame: AudioFrame) => void) => () => void;
}

interface Active {
  readonly name: string;
  readonly stream: RecordableStream;
  readonly startedAtMs: number;
  readonly untilMs: number | null;
  readonly wav: WavRecorder;
  readonly untap: () => void;
  readonly timer: { cancel(): void } | undefined;
}

const MIB = 2 ** 20;
/** While recording, the retained state is said again this often (the duration moves on). */
const PROGRESS_MS = 1000;

/**
 * Recording taps: one audio stream into a WAV file on the board, for a time or until stopped, one
 * at a time. Bounded twice: a recording stops when its audio reaches maxFileMb (held in memory
 * until written), and none starts while the folder holds maxTotalMb. Every refusal is said on the
 * retained state's lastError and counted, never dropped.
 */
export class Recorder {
  private active: Active | undefined;
  private lastError: RecorderState['lastError'] = null;
  private readonly progress: { cancel(): void };
  private readonly counters;

  constructor(
    private readonly config: RecorderConfig,
    private readonly deps: RecorderDeps,
  ) {
    this.counters = {
      started: deps.metrics.counter('recordings.started'),
      written: deps.metrics.counter('recordings.written'),
      deleted: deps.metrics.counter('recordings.deleted'),
      refused: deps.metrics.counter('commands.refused'),
    };
    this.progress = deps.clock.setRepeating('recording progress', PROGRESS_MS, () => {
      if (this.active) this.say();
    });
    this.say();
  }

  start(command: Start): void {
    if (!this.config.enabled) return this.refuse('disabled', 'the recorder is switched off (VOXBUS_RECORDER__ENABLED=false)');
    if (this.active) return this.refuse('busy', `already recording ${this.active.stream} as ${this.active.name}: stop it first`);
    const used = this.deps.folder.usedBytes();
    if (used >= this.config.maxTotalMb * MIB) {
      return this.refuse('full', `the recordings take ${(used / MIB).toFixed(1)} MiB of the ${this.config.maxTotalMb} MiB allowed: delete some first`);
    }
    const nowMs = this.deps.clock.nowMs();
    const name = command.name ?? defaultName(command.stream, nowMs);
    if (this.deps.folder.has(name)) return this.refuse('exists', `a recording named ${name} exists: delete it or choose another name`);
    const wav = new WavRecorder(this.config.maxFileMb * MIB);
    const timer = command.seconds === undefined ? undefined : this.deps.clock.setTimer('recording length', command.seconds * 1000, () => this.stop('its time was up'));
    const untap = this.deps.tap(command.stream, (frame) => {
      if (!wav.add(frame)) this.stop(`it reached ${this.config.maxFileMb} MiB`);
    });
    this.active = { name, stream: command.stream, startedAtMs: nowMs, untilMs: command.seconds === undefined ? null : nowMs + command.seconds * 1000, wav, untap, timer };
    this.lastError = null;
    this.counters.started.inc();
    this.deps.log.info({ name, stream: command.stream, seconds: command.seconds ?? null }, 'recording');
    this.say();
  }

  /** Ends the recording under way and writes its file (a recording that heard nothing is said, not written). */
  stop(why = 'asked to'): void {
    const active = this.active;
    if (!active) return this.refuse('idle', 'nothing is being recorded');
    this.active = undefined;
    active.untap();
    active.timer?.cancel();
    const wav = active.wav.wav();
    const { format, missing } = active.wav.recorded;
    if (wav === undefined || format === undefined) {
      this.lastError = { code: 'no_audio', message: `no audio/${active.stream} frame arrived while recording ${active.name}: nothing written (is its service running?)` };
      this.deps.log.warn({ name: active.name }, this.lastError.message);
    } else {
      try {
        const file = this.deps.folder.add(
          { name: active.name, stream: active.stream, durationMs: active.wav.durationMs, sampleRateHz: format.sampleRateHz, channels: format.channels, missingFrames: missing, atMs: active.startedAtMs },
          wav,
        );
        this.counters.written.inc();
        this.deps.log.info({ ...file, why }, 'recording written');
      } catch (error) {
        this.lastError = { code: 'write_failed', message: `could not write ${this.deps.folder.pathOf(active.name)}: ${(error as Error).message}` };
        this.deps.log.error(this.lastError.message);
      }
    }
    this.say();
  }

  delete(name: string): void {
    if (this.active?.name === name) return this.refuse('busy', `${name} is being recorded: stop it first`);
    if (!this.deps.folder.delete(name)) return this.refuse('not_found', `no recording named ${name}`);
    this.counters.deleted.inc();
    this.lastError = null;
    this.say();
  }

  close(): void {
    if (this.active) this.stop('the recorder is stopping');
    this.progress.cancel();
  }

  private refuse(code: string, message: string): void {
    this.counters.refused.inc();
    this.lastError = { code, message };
    this.deps.log.warn({ code }, message);
    this.say();
  }

  private say(): void {
    const active = this.active;
    this.deps.publishState({
      recording: active ? { name: active.name, stream: active.stream, startedAtMs: active.startedAtMs, untilMs: active.untilMs, durationMs: active.wav.durationMs } : null,
      files: [...this.deps.folder.list()],
      usedBytes: this.deps.folder.usedBytes(),
      maxTotalBytes: Math.round(this.config.maxTotalMb * MIB),
      maxFileBytes: Math.round(this.config.maxFileMb * MIB),
      lastError: this.lastError,
    });
  }
}
