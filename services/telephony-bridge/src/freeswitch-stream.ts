import type { CallStream, StreamEvents, StreamSocket } from './call-stream.js';

export interface FreeswitchOptions {
  readonly callId: string;
  readonly sampleRateHz: number;
  readonly reply: 'streamAudio' | 'binary';
  /** Sent on a flush; empty: nothing. */
  readonly clearText: string;
}

/**
 * FreeSWITCH's mod_audio_stream (amigniter/mod_audio_stream README; voxcom-us/mod_audio_stream's
 * echo example): after `uuid_audio_stream <uuid> start <url> mono <8k|16k> [metadata]` the module
 * sends the metadata as one text message, then the caller's audio as binary L16 (s16le, mono,
 * 20 ms a message by default). The rate is the `<sampling-rate>` argument, which the stream does
 * not say: the URL does (`?rate=16000`), or the bridge's default. The reply goes back as the
 * module's `{"type":"streamAudio","data":{"audioDataType":"raw","sampleRate":…,"audioData":"<base64>"}}`
 * (or raw binary frames, for the bidirectional builds that play those). Hang-up is the socket closing.
 */
export class FreeswitchStream implements CallStream {
  readonly platform = 'freeswitch' as const;
  readonly callId: string;
  private metadataSeen = false;

  constructor(
    private readonly options: FreeswitchOptions,
    private readonly socket: StreamSocket,
    private readonly events: StreamEvents,
  ) {
    this.callId = options.callId;
    events.format(options.sampleRateHz);
  }

  receive(data: Buffer, isBinary: boolean): void {
    if (!isBinary) {
      // The optional metadata (any UTF-8 text) comes once, before the audio; a later text is
      // `send_text` from the dialplan or ESL: neither carries anything the bridge acts on.
      this.metadataSeen = true;
      return;
    }
    if (data.length % 2 !== 0) {
      this.events.problem('bad-audio', `a binary frame of ${data.length} bytes is not whole 16-bit samples (mono L16 expected): dropped`);
      return;
    }
    this.events.audio(data);
  }

  /** Whether the module sent its metadata text (for the logs: the start command's last argument). */
  get sentMetadata(): boolean {
    return this.metadataSeen;
  }

  sendAudio(pcm: Buffer): void {
    if (this.options.reply === 'binary') {
      this.socket.sendBinary(pcm);
      return;
    }
    this.socket.sendText(
      JSON.stringify({ type: 'streamAudio', data: { audioDataType: 'raw', sampleRate: this.options.sampleRateHz, audioData: pcm.toString('base64') } }),
    );
  }

  clear(): void {
    if (this.options.clearText !== '') this.socket.sendText(this.options.clearText);
  }
}
