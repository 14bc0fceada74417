import type { DspBackend, VoiceEngineName, VoiceProcessor } from '@voxbus/dsp';
import { type AudioFrame, type Clock, type Logger, type MetricsRegistry, type Payload, RateLimitedLog } from '@voxbus/shared';
import { ChunkAssembler, type TimedChunk } from './chunk-assembler.js';
import type { DspConfig } from './config.js';
import { ContinuityTracker } from './continuity.js';
import { EchoPath } from './echo-path.js';
import { echoPathReports } from './echo-path-reports.js';
import { HighPass } from './high-pass.js';
import { LevelMeter } from './level-meter.js';
import { LevelsPacer } from './levels-pacer.js';
import { MonoStream } from './mono-stream.js';
import { OutputFramer } from './output-framer.js';
import type { Downmix } from './pcm.js';
import { chooseEngine, echoPathOptions, voiceProcessorOptions } from './dsp-options.js';
import { stagesOf } from './dsp-stages.js';
import { VoiceActivity } from './voice-activity.js';

export type DspStatePayload = Payload<'dsp.state'>;

export interface DspDeps {
  readonly backend: DspBackend;
  readonly clock: Clock;
  readonly log: Logger;
  readonly metrics: MetricsRegistry;
  readonly publishFrame: (frame: AudioFrame) => void;
  readonly publishVad: (event: Payload<'dsp.event.vad'>) => void;
  readonly publishLevels: (levels: Payload<'dsp.event.levels'>) => void;
  readonly publishState: (state: DspStatePayload) => void;
}

/** The model's format: audio/input is 24 kHz mono s16le. */
const MODEL_RATE_HZ = 24_000;
const CHUNK_MS = 10;
const CHUNK_SAMPLES = (MODEL_RATE_HZ * CHUNK_MS) / 1000;
/** How often the echo figures are looked at, and how often at most they are republished when only they moved. */
const ECHO_CHECK_CHUNKS = 10;
const ECHO_REPUBLISH_MS = 2000;
/** ERLE moving this much (dB) is worth republishing the state for. */
const ECHO_REPUBLISH_DB = 3;
/** The reference counts as arriving while its newest sample is this recent. */
const REFERENCE_FRESH_MS = 500;
/**
 * A microphone chunk waits at most this long (in microphone time: until a chunk this much newer
 * is here) for its reference to arrive, then is processed without it (taken for echo). Only a
 * stalled playback makes it wait at all (the reference normally comes before its echo); a
 * stall costs that much latency, once, rather than the assistant hearing itself.
 */
const REFERENCE_WAIT_MS = 300;

/**
 * The dsp: microphone frames in, model-ready audio out. DC removal, downmix and resampling
 * per frame; then, per 10 ms chunk, the voice processor (echo cancellation against the
 * reference placed by timestamps and the delay found in the signals, the echo gate, noise
 * suppression, gain, voice decision), the VAD's
 * hysteresis, the meters, and 20 ms output frames. Knows nothing of MQTT.
 */
export class DspChain {
  readonly engine: VoiceEngineName;
  private readonly processor: VoiceProcessor | undefined;
  private readonly downmix: Downmix;
  private readonly mic: MonoStream;
  private readonly micContinuity = new ContinuityTracker();
  private readonly chunker = new ChunkAssembler(CHUNK_SAMPLES, MODEL_RATE_HZ);
  private readonly framer: OutputFramer;
  private readonly echo: EchoPath | undefined;
  private readonly vad: VoiceActivity;
  private readonly inputLevel = new LevelMeter();
  private readonly outputLevel = new LevelMeter();
  private readonly levelsPacer: LevelsPacer;
  private readonly problems: RateLimitedLog;
  private readonly counters;
  private state: DspStatePayload['state'] = 'waiting';
  private input: DspStatePayload['input'] = null;
  private lastMicAtUs = 0;
  private lastChunkEndUs = 0;
  private chunksSinceLevels = 0;
  private chunksSinceEchoCheck = 0;
  /** Microphone chunks waiting for their reference, oldest first. */
  private readonly waiting: TimedChunk[] = [];
  /** The chunk the queue last stopped at (a wait is counted once). */
  private blockedAtUs: number | undefined;
  private voiceSinceLevels = false;
  private referenceArriving = false;
  /** The echo figures last published, and when. */
  private publishedEcho: { converged: boolean; erleDb: number | null; delayMs: number | null; atMs: number } = { converged: false, erleDb: null, delayMs: null, atMs: 0 };
  /** The conversation muted the output: everything runs (the canceller keeps learning), nothing is published on audio/input. */
  private outputMuted = false;
  private idleTimer: { cancel(): void } | undefined;
  private highPass: { rateHz: number; filter: HighPass } | undefined;

  constructor(
    private readonly config: DspConfig,
    private readonly deps: DspDeps,
  ) {
    const { backend, metrics, log } = deps;
    this.engine = chooseEngine(config.engine, backend.engines);
    this.levelsPacer = new LevelsPacer(config);
    const processing = config.echoCancellation || config.noiseSuppression || config.gainControl || config.vad;
    this.processor = processing ? backend.createVoiceProcessor(voiceProcessorOptions(this.engine, MODEL_RATE_HZ, config)) : undefined;
    this.downmix = config.downmix === 'pick' ? { mode: 'pick', channel: config.pickChannel } : { mode: 'mix' };
    this.mic = new MonoStream(backend, MODEL_RATE_HZ, config.resampleQuality, this.downmix, true);
    this.framer = new OutputFramer(MODEL_RATE_HZ, config.frameMs / CHUNK_MS);
    this.vad = new VoiceActivity(MODEL_RATE_HZ, CHUNK_MS, config);
    this.echo =
      this.processor !== undefined && config.echoCancellation
        ? new EchoPath(backend, echoPathOptions(MODEL_RATE_HZ, CHUNK_MS, config), echoPathReports(log, metrics))
        : undefined;
    this.problems = new RateLimitedLog(log);
    this.counters = {
      framesIn: metrics.counter('frames.in'),
      framesOut: metrics.counter('frames.out'),
      rejected: metrics.counter('frames.rejected'),
      lostMs: metrics.counter('input.lostMs'),
      restarts: metrics.counter('input.restarts'),
      referenceFrames: metrics.counter('reference.frames'),
      // Times the microphone waited for its reference, and chunks processed without it after all.
      referenceWaits: metrics.counter('reference.waits'),
      referenceLate: metrics.counter('reference.lateChunks'),
      speechStarts: metrics.counter('vad.speechStarts'), voiceOnsets: metrics.counter('vad.voiceOnsets'),
      withheld: metrics.counter('frames.withheld'),
    };
    metrics.gauge('echo.converged', () => (this.echo?.figures().converged ? 1 : 0));
    metrics.gauge('echo.erleDb', () => this.echo?.figures().erleDb ?? 0);
    metrics.gauge('echo.delayMs', () => this.echo?.figures().delayMs ?? 0);
    // How the reference was placed: its re-placements, the speaker's timeline jumps, chunks judged with their reference in doubt, and how the doubts after the speaker's moves ended.
    const placement = [['echo.placementResyncs', 'resyncs'], ['reference.moves', 'referenceMoves'], ['echo.doubtedChunks', 'doubtedChunks'], ['echo.settlingsProved', 'settlingsProved'], ['echo.settlingsExpired', 'settlingsExpired'], ['echo.settlingsOvertaken', 'settlingsOvertaken']] as const;
    for (const [name, key] of placement) metrics.gauge(name, () => this.echo?.placement[key] ?? 0);
    log.info({ engine: this.engine, available: backend.engines }, 'voice processing engine');
  }

  start(): void {
    this.publishState();
    this.idleTimer = this.deps.clock.setRepeating('dsp.idle', Math.max(50, Math.min(250, this.config.idleAfterMs / 2)), () => this.checkIdle());
  }

  stop(): void {
    this.idleTimer?.cancel();
    this.endStream();
    this.state = 'stopped';
    this.publishState();
  }

  /** A frame from audio/mic. */
  microphone(frame: AudioFrame): void {
    if (this.downmix.mode === 'pick' && this.downmix.channel >= frame.channels) {
      this.reject('channel', frame, `pickChannel ${this.downmix.channel} does not exist in a ${frame.channels}-channel frame`);
      return;
    }
    this.counters.framesIn.inc();
    this.lastMicAtUs = this.deps.clock.monotonicUs();
    const continuity = this.micContinuity.next(frame);
    if (continuity.kind === 'gap') {
      this.endStream();
      this.framer.skip(continuity.lostMs, this.config.frameMs);
      this.counters.lostMs.inc(Math.round(continuity.lostMs));
      this.problems.warn('gap', { lostMs: continuity.lostMs }, 'microphone frames were lost: the stream restarts after the gap');
    } else if (continuity.kind === 'restart') {
      this.endStream();
      this.counters.restarts.inc();
    }
    if (continuity.kind !== 'continuous') this.echo?.microphoneRestarted();
    const format = { sampleRateHz: frame.sampleRateHz, channels: frame.channels, sampleFormat: frame.sampleFormat };
    const formatChanged = this.input === null || this.input.sampleRateHz !== format.sampleRateHz || this.input.channels !== format.channels || this.input.sampleFormat !== format.sampleFormat;
    if (formatChanged || this.state !== 'running') {
      this.input = format;
      this.state = 'running';
      if (formatChanged) this.deps.log.info({ input: format }, 'microphone format');
      this.publishState();
    }
    const timed = this.mic.push(frame, this.highPassFor(frame.sampleRateHz), (mono) => this.inputLevel.addFloat(mono));
    this.waiting.push(...this.chunker.push(timed));
    this.processReady();
  }

  /** A frame from audio/played: what the speaker played, stamped with when it was heard. */
  played(frame: AudioFrame): void {
    if (this.echo === undefined) return;
    this.counters.referenceFrames.inc();
    this.echo.played(frame);
    this.processReady();
    if (!this.referenceArriving) {
      this.referenceArriving = true;
      this.publishState();
    }
  }

  /** The DC filter at the microphone's rate; its state carries across pauses, so an offset does not step back in. */
  private highPassFor(rateHz: number): HighPass | undefined {
    if (!this.config.dcRemoval) return undefined;
    if (this.highPass?.rateHz !== rateHz) this.highPass = { rateHz, filter: new HighPass(this.config.highPassHz, rateHz) };
    return this.highPass.filter;
  }

  /** Mutes or unmutes the output (audio/input); the chain keeps running, so the canceller keeps learning. */
  muteOutput(muted: boolean): void {
    if (muted === this.outputMuted) return;
    this.outputMuted = muted;
    this.deps.log.info(muted ? 'output muted (still listening, nothing sent on)' : 'output unmuted');
    this.publishState();
  }

  /** Processes the waiting chunks whose reference is here, or that waited long enough (`all`: every one, the stream ends). */
  private processReady(all = false): void {
    const nowUs = this.deps.clock.monotonicUs();
    while (this.waiting.length > 0) {
      const chunk = this.waiting[0] as TimedChunk;
      const ready = this.echo === undefined || this.echo.referenceReady(chunk.timeUs, nowUs, REFERENCE_FRESH_MS);
      if (!ready) {
        const waitedMs = ((this.waiting.at(-1) as TimedChunk).timeUs - chunk.timeUs) / 1000;
        if (!all && waitedMs < REFERENCE_WAIT_MS) {
          if (this.blockedAtUs !== chunk.timeUs) this.counters.referenceWaits.inc();
          this.blockedAtUs = chunk.timeUs;
          return;
        }
        this.counters.referenceLate.inc();
      }
      this.waiting.shift();
      this.process(chunk, !ready);
    }
  }

  /** One chunk through the chain; `referenceMissing`: what the speaker played then never came in time. */
  private process(chunk: TimedChunk, referenceMissing = false): void {
    let voice = false;
    let echoPossible = false;
    const processor = this.processor;
    if (processor !== undefined) {
      // A voice counts only where the echo gate heard one besides the speaker (or no echo could be).
      let nearEnd = true;
      if (this.echo !== undefined) ({ nearEnd, echo: echoPossible } = this.echo.cancel(chunk, processor, referenceMissing));
      else processor.cancel(chunk.samples, 0);
      voice = processor.finish(chunk.samples) && nearEnd;
    }
    this.lastChunkEndUs = chunk.timeUs + CHUNK_MS * 1000;
    this.outputLevel.addInt16(chunk.samples);
    this.voiceSinceLevels ||= voice;
    if (this.config.vad) this.publishVad(this.vad.push(chunk.samples, voice, chunk.timeUs, CHUNK_MS, echoPossible));
    const frame = this.framer.push(chunk);
    if (frame !== undefined) this.emit(frame);
    if (++this.chunksSinceLevels * CHUNK_MS >= this.config.levelsIntervalMs) this.publishLevels();
    if (this.echo !== undefined && ++this.chunksSinceEchoCheck >= ECHO_CHECK_CHUNKS) {
      this.chunksSinceEchoCheck = 0;
      this.checkEcho();
    }
  }

  /** The microphone stream ended (a gap, a pause, a new format): nothing held back is lost. */
  private endStream(): void {
    const partial = this.chunker.flush();
    if (partial !== undefined) this.waiting.push(partial);
    this.processReady(true);
    const frame = this.framer.flush();
    if (frame !== undefined) this.emit(frame);
    if (this.config.vad) this.publishVad(this.vad.end(this.lastChunkEndUs));
    this.mic.reset();
    this.micContinuity.reset();
  }

  private emit(frame: AudioFrame): void {
    if (this.outputMuted) {
      this.counters.withheld.inc();
      return;
    }
    this.deps.publishFrame(frame);
    this.counters.framesOut.inc();
  }

  /** Republishes the state when convergence or the delay changed, or the ERLE moved (at most every ECHO_REPUBLISH_MS). */
  private checkEcho(): void {
    const figures = (this.echo as EchoPath).figures();
    const last = this.publishedEcho;
    const nowMs = this.deps.clock.nowMs();
    const moved = figures.erleDb !== null && (last.erleDb === null || Math.abs(figures.erleDb - last.erleDb) >= ECHO_REPUBLISH_DB);
    if (figures.converged !== last.converged) {
      this.deps.log.info(figures, figures.converged ? 'echo cancellation converged' : 'echo cancellation lost convergence');
    } else if (figures.delayMs === last.delayMs && !(moved && nowMs - last.atMs >= ECHO_REPUBLISH_MS)) {
      return;
    }
    this.publishState();
  }

  private publishVad(transition: ReturnType<VoiceActivity['push']>): void {
    if (transition === undefined) return;
    if (transition.kind !== 'speech_stopped') (transition.kind === 'speech_started' ? this.counters.speechStarts : this.counters.voiceOnsets).inc();
    this.deps.publishVad({ kind: transition.kind, timeUs: Math.round(transition.timeUs), speechMs: transition.speechMs });
  }

  private publishLevels(): void {
    this.chunksSinceLevels = 0;
    const levels = { input: this.inputLevel.take(), output: this.outputLevel.take(), voice: this.voiceSinceLevels, timeUs: Math.round(this.lastChunkEndUs) };
    this.voiceSinceLevels = false;
    if (this.levelsPacer.shouldPublish(levels, this.lastChunkEndUs / 1000)) this.deps.publishLevels(levels);
  }

  private checkIdle(): void {
    const nowUs = this.deps.clock.monotonicUs();
    if (this.state === 'running' && nowUs - this.lastMicAtUs > this.config.idleAfterMs * 1000) {
      this.endStream();
      this.state = 'waiting';
      this.publishState();
    }
    const arriving = this.echo?.arriving(nowUs, REFERENCE_FRESH_MS) ?? false;
    if (arriving !== this.referenceArriving) {
      this.referenceArriving = arriving;
      this.publishState();
    }
  }

  private reject(reason: string, frame: AudioFrame, message: string): void {
    this.counters.rejected.inc();
    this.problems.warn(`reject:${reason}`, { reason, channels: frame.channels, sampleRateHz: frame.sampleRateHz }, `microphone frame skipped: ${message}`);
  }

  private publishState(): void {
    this.deps.publishState({
      state: this.state,
      engine: this.engine,
      input: this.input,
      stages: stagesOf(this.config, this.input, MODEL_RATE_HZ),
      echo: this.echoStatus(),
      muted: this.outputMuted,
      sinceMs: this.deps.clock.nowMs(),
    });
  }

  private echoStatus(): DspStatePayload['echo'] {
    if (this.echo === undefined) return { active: false, converged: false, erleDb: null, erlDb: null, delayMs: null };
    const figures = this.echo.figures();
    this.publishedEcho = { converged: figures.converged, erleDb: figures.erleDb, delayMs: figures.delayMs, atMs: this.deps.clock.nowMs() };
    return { active: this.referenceArriving, converged: figures.converged, erleDb: figures.erleDb, erlDb: figures.erlDb, delayMs: figures.delayMs };
  }
}
