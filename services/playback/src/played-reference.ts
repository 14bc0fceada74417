/** The echo reference: what the speaker played, cut into audio/played frames for the dsp. */
import { FrameAssembler, type GrantedFormat, type PlayedPeriod, PlayedTimeline } from '@voxbus/alsa';
import type { AudioFrame } from '@voxbus/shared';
import type { PlaybackConfig } from './config.js';

/** Assembles the played periods into frames of `playedFrameMs` while the device is open. */
export class PlayedReference {
  /** What was played, as audio/played frames of `playedFrameMs` (its sequence runs on across reopens). */
  private playedFrames: FrameAssembler | undefined;
  private playedSequence = 0;

  constructor(
    private readonly config: PlaybackConfig,
    private readonly publishPlayed: (frame: AudioFrame) => void,
  ) {}

  /** The device opened with this format. */
  opened(granted: GrantedFormat): void {
    const frameSamples = Math.round((this.config.playedFrameMs * granted.sampleRateHz) / 1000);
    this.playedFrames = new FrameAssembler(granted, frameSamples, this.playedSequence, new PlayedTimeline(granted.sampleRateHz));
  }

  /** The device failed: nothing more is played until it opens again. */
  lost(): void {
    this.playedFrames = undefined;
  }

  /** A period that went to the device, silence included. */
  push(period: PlayedPeriod): void {
    const assembler = this.playedFrames;
    if (assembler === undefined) return;
    for (const frame of assembler.push(period)) this.publishPlayed(frame);
    this.playedSequence = assembler.sequence;
  }
}
