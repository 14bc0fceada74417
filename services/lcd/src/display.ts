import { type Clock, errorMessage, type Logger, type MetricsRegistry, RateLimitedLog, type TimerHandle } from '@voxbus/shared';
import type { FrameOutput, FrameSource } from './outputs.js';
import type { Rect } from './pixel-format.js';
import type { ScreenModel } from './screen-model.js';

/** The renderer as the display loop uses it. */
export interface FrameRenderer extends FrameSource {
  /** Draws what changed; returns the rectangles drawn. */
  render(model: ScreenModel): Rect[];
}

export interface FrameTiming {
  readonly renderUs: number;
  readonly writeUs: number;
  readonly dirtyRects: number;
}

export interface DisplayOptions {
  readonly renderer: FrameRenderer;
  readonly outputs: readonly FrameOutput[];
  readonly clock: Clock;
  readonly log: Logger;
  readonly metrics: MetricsRegistry;
  readonly refreshHz: number;
  /** Called after each frame that drew something (benchmarks, tests). */
  readonly onFrame?: (timing: FrameTiming) => void;
}

/**
 * The frame loop: `show` only records the newest model (bus handlers return at once); frames are
 * drawn at most `refreshHz` times a second, one at a time, each with whatever is newest, so a
 * burst of transcript deltas or a slow panel costs frames, never a queue.
 */
export class Display {
  private model: ScreenModel | null = null;
  private requested = false;
  /** The frame being drawn and written, if one is. */
  private drawing: Promise<void> | null = null;
  private stopped = false;
  private timer: TimerHandle | undefined;
  private lastFrameUs = Number.NEGATIVE_INFINITY;
  private readonly minFrameUs: number;
  private readonly lastTiming = { renderUs: 0, writeUs: 0 };
  private readonly drawn;
  private readonly unchanged;
  private readonly failed;
  private readonly problems: RateLimitedLog;

  constructor(private readonly options: DisplayOptions) {
    this.minFrameUs = 1e6 / options.refreshHz;
    this.problems = new RateLimitedLog(options.log, 10_000, () => options.clock.monotonicUs() / 1000);
    const { metrics } = options;
    this.drawn = metrics.counter('frames.drawn');
    this.unchanged = metrics.counter('frames.unchanged');
    this.failed = metrics.counter('frames.failed');
    metrics.gauge('frame.lastRenderUs', () => this.lastTiming.renderUs);
    metrics.gauge('frame.lastWriteUs', () => this.lastTiming.writeUs);
  }

  show(model: ScreenModel): void {
    this.model = model;
    this.requested = true;
    this.schedule();
  }

  /** Waits for a frame being written, then closes the outputs. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.timer?.cancel();
    await this.drawing;
    for (const output of this.options.outputs) {
      try {
        await output.close();
      } catch (error) {
        this.options.log.warn({ output: output.name, err: errorMessage(error) }, 'output did not close cleanly');
      }
    }
  }

  private schedule(): void {
    if (this.stopped || this.drawing || this.timer || !this.requested) return;
    const waitUs = Math.max(0, this.lastFrameUs + this.minFrameUs - this.options.clock.monotonicUs());
    this.timer = this.options.clock.setTimer('lcd frame', waitUs / 1000, () => {
      this.timer = undefined;
      this.drawing = this.frame().finally(() => {
        this.drawing = null;
        this.schedule();
      });
    });
  }

  private async frame(): Promise<void> {
    const model = this.model;
    if (!model || this.stopped) return;
    const { clock, renderer, outputs } = this.options;
    this.requested = false;
    this.lastFrameUs = clock.monotonicUs();
    try {
      const dirty = renderer.render(model);
      const renderedUs = clock.monotonicUs();
      if (dirty.length === 0) {
        this.unchanged.inc();
        return;
      }
      for (const output of outputs) await this.write(output, dirty);
      const timing = { renderUs: renderedUs - this.lastFrameUs, writeUs: clock.monotonicUs() - renderedUs, dirtyRects: dirty.length };
      Object.assign(this.lastTiming, timing);
      this.drawn.inc();
      this.options.onFrame?.(timing);
    } catch (error) {
      this.failed.inc();
      this.problems.error('frame', { err: errorMessage(error) }, 'frame failed');
    }
  }

  private async write(output: FrameOutput, dirty: readonly Rect[]): Promise<void> {
    try {
      await output.write(this.options.renderer, dirty);
    } catch (error) {
      this.options.metrics.counter(`output.${output.name}.errors`).inc();
      this.problems.error(`output ${output.name}`, { output: output.name, err: errorMessage(error) }, 'could not write the frame');
    }
  }
}
