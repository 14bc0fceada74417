import { AudioDeviceError } from './types.js';

/** The part of voxbus's Clock the supervisor needs (structurally the same interface). */
export interface SupervisorClock {
  setTimer(name: string, delayMs: number, callback: () => void): { cancel(): void };
}

export interface SupervisorOptions<S> {
  /** For timer names and messages: "microphone", "speaker". */
  readonly role: string;
  readonly device: string;
  readonly clock: SupervisorClock;
  readonly reopenInitialMs: number;
  readonly reopenMaxMs: number;
  /** Opens the stream; a rejection is a device failure (anything not an AudioDeviceError becomes device_error). */
  open(): Promise<S>;
  /** The stream is open; `recovered` when it follows a failure. */
  opened(stream: S, recovered: boolean): void;
  /**
   * The device failed (at open, or while running) and is tried again in `retryInMs`.
   * `changed` is true the first time and whenever the error code changes: log those loudly,
   * the repeats quietly.
   */
  failed(error: AudioDeviceError, retryInMs: number, changed: boolean): void;
}

/**
 * Keeps an audio device open: opens it, and when it fails (missing at start, unplugged,
 * busy) closes what is left, reports it, and retries with exponential backoff until it works.
 * The backoff resets only once the device has delivered again (`working()`), so a device that
 * opens but fails at once does not retry in a tight loop.
 */
export class DeviceSupervisor<S extends { close(): Promise<void> }> {
  private stream: S | undefined;
  private lastError: AudioDeviceError | undefined;
  private retryTimer: { cancel(): void } | undefined;
  private backoffMs: number;
  private stopped = false;

  constructor(private readonly options: SupervisorOptions<S>) {
    this.backoffMs = options.reopenInitialMs;
  }

  get current(): S | undefined {
    return this.stream;
  }

  get error(): AudioDeviceError | undefined {
    return this.lastError;
  }

  start(): void {
    void this.attempt();
  }

  /** The device delivered audio: the next failure starts the backoff afresh. */
  working(): void {
    this.backoffMs = this.options.reopenInitialMs;
  }

  /** Reports a failure of the open stream (its onError handler calls this). */
  async fail(error: AudioDeviceError): Promise<void> {
    if (this.stopped) return;
    const changed = this.lastError === undefined || this.lastError.code !== error.code;
    this.lastError = error;
    await this.close();
    const retryInMs = this.backoffMs;
    this.backoffMs = Math.min(this.backoffMs * 2, this.options.reopenMaxMs);
    this.options.failed(error, retryInMs, changed);
    this.retryTimer = this.options.clock.setTimer(`${this.options.role} reopen`, retryInMs, () => void this.attempt());
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.retryTimer?.cancel();
    await this.close();
  }

  private async attempt(): Promise<void> {
    let stream: S;
    try {
      stream = await this.options.open();
    } catch (error) {
      const deviceError =
        error instanceof AudioDeviceError ? error : new AudioDeviceError('device_error', this.options.device, `${this.options.role}: ${String(error)}`);
      await this.fail(deviceError);
      return;
    }
    if (this.stopped) {
      await stream.close();
      return;
    }
    this.stream = stream;
    const recovered = this.lastError !== undefined;
    this.lastError = undefined;
    this.options.opened(stream, recovered);
  }

  private async close(): Promise<void> {
    const stream = this.stream;
    this.stream = undefined;
    await stream?.close();
  }
}
