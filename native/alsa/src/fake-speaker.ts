import type { GrantedFormat, PlaybackStats } from './types.js';
import { validatePaused } from './validate-request.js';

/**
 * The playback engine's period logic (cc/playback_engine.cc) in TypeScript: a ring of content,
 * fades where content starts and runs out, flush with a fade, pause, gain, and the heard position
 * with the device buffer always full (delay = buffer).
 */
export class FakeSpeaker {
  gain = 1;
  private readonly frameBytes: number;
  private readonly queue: Buffer[] = [];
  private queuedBytes = 0;
  private written = 0;
  private read = 0;
  private heard = 0;
  private silence = 0;
  private lastWasSilent = true;
  private flushPending = false;
  /** Content position of the last flush(): what was written after it is kept, as in the engine. */
  private flushUpTo = 0;
  /** What pause() last asked, and what the last period did (the engine's paused_ and pausedSeen_). */
  private pauseAsked = false;
  private paused = false;
  private flushesDone = 0;
  private lastCut = 0;
  private periods = 0;
  /** Content frames per period written to the device, newest last, as long as the buffer. */
  private readonly inDevice: { contentStart: number; contentFrames: number }[] = [];

  constructor(
    private readonly granted: GrantedFormat,
    private readonly ringFrames: number,
    private readonly fadeFrames: number,
  ) {
    this.frameBytes = granted.channels * 2;
  }

  write(pcm: Uint8Array): number {
    const room = this.ringFrames - this.queuedBytes / this.frameBytes;
    const frames = Math.min(room, Math.floor(pcm.length / this.frameBytes));
    if (frames <= 0) return 0;
    this.queue.push(Buffer.from(pcm.subarray(0, frames * this.frameBytes)));
    this.queuedBytes += frames * this.frameBytes;
    this.written += frames;
    return frames;
  }

  flush(): void {
    this.flushPending = true;
    this.flushUpTo = this.written;
  }

  /** Takes effect at the next period, as in the engine; see PlaybackStream.pause. */
  pause(paused: boolean): void {
    validatePaused(paused);
    this.pauseAsked = paused;
  }

  playPeriod(): { pcm: Buffer; contentStart: number; contentFrames: number } {
    const periodFrames = this.granted.periodFrames;
    const pcm = Buffer.alloc(periodFrames * this.frameBytes);
    const contentStart = this.read;
    let content: number;
    const paused = this.pauseAsked;
    if (this.flushPending) {
      this.flushPending = false;
      // Nothing sounding (silence, or a pause already faded out): nothing to fade, nothing read,
      // so the cut is where the sound stopped.
      content = this.lastWasSilent ? 0 : this.fadeOut(pcm, this.flushUpTo - this.read);
      this.lastCut = this.read;
      this.take(null, Math.max(0, this.flushUpTo - this.read));
      this.flushesDone += 1;
      this.lastWasSilent = true;
    } else if (paused) {
      // The fade's frames are played (read, then heard); after it, silence without reading.
      content = this.lastWasSilent ? 0 : this.fadeOut(pcm, this.written - this.read);
      this.lastWasSilent = true;
    } else {
      content = this.take(pcm, periodFrames);
      this.applyGain(pcm, content);
      if (content > 0 && this.lastWasSilent) this.ramp(pcm, 0, Math.min(this.fadeFrames, content), true);
      if (content > 0 && content < periodFrames) {
        const fade = Math.min(this.fadeFrames, content);
        this.ramp(pcm, content - fade, fade, false);
      }
      this.lastWasSilent = content < periodFrames;
    }
    this.paused = paused;
    this.silence += periodFrames - content;
    this.periods += 1;
    this.inDevice.push({ contentStart, contentFrames: content });
    // The device holds bufferFrames; the oldest period in it has now been heard.
    const periodsInDevice = Math.max(1, Math.round(this.granted.bufferFrames / periodFrames));
    while (this.inDevice.length > periodsInDevice) {
      const out = this.inDevice.shift() as { contentStart: number; contentFrames: number };
      this.heard = Math.max(this.heard, out.contentStart + out.contentFrames);
    }
    return { pcm, contentStart, contentFrames: content };
  }

  stats(): Omit<PlaybackStats, 'state'> {
    return {
      periods: this.periods,
      xruns: 0,
      droppedPeriods: 0,
      delayFrames: this.granted.bufferFrames,
      realtime: false,
      silenceFrames: this.silence,
      contentWrittenFrames: this.written,
      contentReadFrames: this.read,
      contentHeardFrames: this.heard,
      ringCapacityFrames: this.ringFrames,
      flushesDone: this.flushesDone,
      lastCutFrames: this.lastCut,
      paused: this.paused,
    };
  }

  /**
   * Up to one fade of content (and no more than `availableFrames`) into the start of `pcm`, with
   * the gain, ramped down to silence.
   */
  private fadeOut(pcm: Buffer, availableFrames: number): number {
    const frames = this.take(pcm, Math.max(0, Math.min(this.fadeFrames, this.granted.periodFrames, availableFrames)));
    this.applyGain(pcm, frames);
    this.ramp(pcm, 0, frames, false);
    return frames;
  }

  /** Moves up to `frames` content frames out of the queue into `target` (or drops them). */
  private take(target: Buffer | null, frames: number): number {
    let bytes = Math.min(frames * this.frameBytes, this.queuedBytes);
    const total = bytes;
    let offset = 0;
    while (bytes > 0) {
      const head = this.queue[0] as Buffer;
      const count = Math.min(head.length, bytes);
      target?.set(head.subarray(0, count), offset);
      offset += count;
      bytes -= count;
      if (count === head.length) this.queue.shift();
      else this.queue[0] = head.subarray(count);
    }
    this.queuedBytes -= total;
    this.read += total / this.frameBytes;
    return total / this.frameBytes;
  }

  private applyGain(pcm: Buffer, frames: number): void {
    if (this.gain === 1) return;
    for (let i = 0; i < frames * this.granted.channels; i++) {
      pcm.writeInt16LE(Math.max(-32768, Math.min(32767, Math.trunc(pcm.readInt16LE(i * 2) * this.gain))), i * 2);
    }
  }

  private ramp(pcm: Buffer, startFrame: number, frames: number, up: boolean): void {
    const channels = this.granted.channels;
    for (let frame = 0; frame < frames; frame++) {
      const factor = up ? (frame + 1) / frames : (frames - frame - 1) / frames;
      for (let channel = 0; channel < channels; channel++) {
        const at = ((startFrame + frame) * channels + channel) * 2;
        pcm.writeInt16LE(Math.trunc(pcm.readInt16LE(at) * factor), at);
      }
    }
  }
}
