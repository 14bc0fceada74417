import type { CallStream, StreamEvents, StreamSocket } from './call-stream.js';

/** The rates ACS streams at: `audioFormat` Pcm16KMono (its default) or Pcm24KMono. */
export const ACS_RATES_HZ: readonly number[] = [16_000, 24_000];

type Json = Record<string, unknown>;

/** A field by its documented camelCase name, or PascalCase (the C# samples serialise that way). */
function field(object: Json, name: string): unknown {
  return name in object ? object[name] : object[name.charAt(0).toUpperCase() + name.slice(1)];
}

const isObject = (value: unknown): value is Json => typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * Azure Communication Services' bidirectional media streaming (Call Automation, "Quickstart:
 * Server-side Audio Streaming" and "Audio streaming concepts" on learn.microsoft.com): ACS opens
 * the WebSocket to `transportUrl` and sends JSON text messages, first
 * `{"kind":"AudioMetadata","audioMetadata":{"subscriptionId","encoding":"PCM","sampleRate":16000|24000,"channels":1,"length"}}`,
 * then `{"kind":"AudioData","audioData":{"timestamp","participantRawID","data":"<base64 PCM>","silent"}}`
 * every 20 ms. The reply goes back as `{"kind":"AudioData","audioData":{"data":"<base64>"},"stopAudio":null}`
 * and a flush as `{"kind":"StopAudio","audioData":null,"stopAudio":{}}`. Hang-up (or the media
 * stream stopped) is the socket closing. With `audioChannelType` unmixed each participant comes
 * separately: the first one heard is the caller, the others are counted and left out.
 */
export class AcsStream implements CallStream {
  readonly platform = 'acs' as const;
  private rateHz: number | undefined;
  private participant: string | undefined;
  otherParticipantFrames = 0;

  constructor(
    readonly callId: string,
    private readonly socket: StreamSocket,
    private readonly events: StreamEvents,
  ) {}

  receive(data: Buffer, isBinary: boolean): void {
    if (isBinary) {
      this.events.problem('binary-not-json', `a binary message of ${data.length} bytes where ACS sends JSON text: dropped`);
      return;
    }
    let message: unknown;
    try {
      message = JSON.parse(data.toString('utf8'));
    } catch {
      this.events.problem('text-not-json', `a text message that is not JSON (${data.length} bytes, starting ${JSON.stringify(data.subarray(0, 24).toString('utf8'))}): dropped`);
      return;
    }
    if (!isObject(message) || typeof field(message, 'kind') !== 'string') {
      this.events.problem('malformed', 'a message without a string `kind`: dropped');
      return;
    }
    const kind = field(message, 'kind') as string;
    if (kind === 'AudioMetadata') this.metadata(field(message, 'audioMetadata'));
    else if (kind === 'AudioData') this.audioData(field(message, 'audioData'));
    else if (kind === 'DtmfData') return; // tones the caller pressed (enableDtmfTones): nothing to do with them yet
    else this.events.problem('unknown-kind', `a message of kind ${JSON.stringify(kind.slice(0, 40))} (AudioMetadata, AudioData or DtmfData expected): dropped`);
  }

  private metadata(body: unknown): void {
    if (!isObject(body)) {
      this.events.problem('malformed', 'AudioMetadata without an `audioMetadata` object: dropped');
      return;
    }
    const rate = field(body, 'sampleRate');
    const encoding = field(body, 'encoding');
    const channels = field(body, 'channels');
    if (typeof rate !== 'number' || !ACS_RATES_HZ.includes(rate)) {
      this.events.problem('bad-format', `AudioMetadata with sampleRate ${JSON.stringify(rate)}: ACS streams 16000 or 24000 (audioFormat Pcm16KMono or Pcm24KMono); the call's audio is ignored until a usable one comes`);
      return;
    }
    if (typeof encoding === 'string' && encoding.toUpperCase() !== 'PCM') {
      this.events.problem('bad-format', `AudioMetadata with encoding ${JSON.stringify(encoding)}: only PCM is understood`);
      return;
    }
    if (channels !== undefined && channels !== 1 && channels !== 'mono') {
      this.events.problem('bad-format', `AudioMetadata with channels ${JSON.stringify(channels)}: only mono is understood`);
      return;
    }
    if (this.rateHz !== undefined && this.rateHz !== rate) {
      this.events.problem('format-changed', `AudioMetadata changed the rate from ${this.rateHz} to ${rate} mid-call: the first one is kept`);
      return;
    }
    if (this.rateHz === undefined) {
      this.rateHz = rate;
      this.events.format(rate);
    }
  }

  private audioData(body: unknown): void {
    if (!isObject(body)) {
      this.events.problem('malformed', 'AudioData without an `audioData` object: dropped');
      return;
    }
    if (this.rateHz === undefined) {
      this.events.problem('out-of-order', 'AudioData before AudioMetadata (ACS sends the metadata first): its rate is unknown, dropped');
      return;
    }
    const participant = field(body, 'participantRawID');
    if (typeof participant === 'string' && participant !== '') {
      this.participant ??= participant;
      if (participant !== this.participant) {
        this.otherParticipantFrames += 1;
        return;
      }
    }
    const data = field(body, 'data');
    if (typeof data !== 'string') {
      this.events.problem('malformed', 'AudioData without a base64 `data` string: dropped');
      return;
    }
    const pcm = Buffer.from(data, 'base64');
    if (pcm.length % 2 !== 0) {
      this.events.problem('bad-audio', `AudioData of ${pcm.length} bytes is not whole 16-bit samples: dropped`);
      return;
    }
    // A silent packet still stands for its length of time: zeros keep the microphone's pace.
    this.events.audio(field(body, 'silent') === true ? Buffer.alloc(pcm.length) : pcm);
  }

  sendAudio(pcm: Buffer): void {
    this.socket.sendText(JSON.stringify({ kind: 'AudioData', audioData: { data: pcm.toString('base64') }, stopAudio: null }));
  }

  clear(): void {
    this.socket.sendText(JSON.stringify({ kind: 'StopAudio', audioData: null, stopAudio: {} }));
  }
}
