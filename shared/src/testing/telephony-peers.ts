import { randomUUID } from 'node:crypto';
import WebSocket from 'ws';

/** A piece of the reply as the caller got it: when, and the PCM at the call's rate. */
export interface Received {
  readonly atMs: number;
  readonly pcm: Buffer;
}

const FRAME_MS = 20;

/**
 * The platform's side of a call's media stream, as a test peer: it streams the caller's audio in
 * real time, 20 ms a message (silence when the caller says nothing, as the platforms do), and
 * records what comes back: the reply's audio, the flushes, and anything it did not expect.
 */
export abstract class CallerPeer {
  readonly received: Received[] = [];
  /** When (ms since the epoch) the bridge told the platform to drop its playback, and how much reply had come by then. */
  readonly clears: { atMs: number; receivedBefore: number }[] = [];
  /** Messages the platform would not understand, verbatim (cut to 200 characters). */
  readonly unexpected: string[] = [];
  readonly closed: Promise<{ code: number; reason: string }>;
  protected readonly ws: WebSocket;
  private readonly queue: Buffer[] = [];
  /** What `say` queued, oldest first, and when each frame of it was sent. */
  private readonly utterances: { frames: number; sentAtMs: number[] }[] = [];
  private timer: NodeJS.Timeout | undefined;
  private startMs = 0;
  private sentFrames = 0;
  private readonly frameBytes: number;

  protected constructor(
    url: string,
    readonly sampleRateHz: number,
  ) {
    this.frameBytes = (sampleRateHz * FRAME_MS * 2) / 1000;
    this.ws = new WebSocket(url, { perMessageDeflate: false });
    this.closed = new Promise((resolve) => this.ws.once('close', (code, reason) => resolve({ code, reason: reason.toString() })));
    this.ws.on('error', () => {});
    this.ws.on('message', (data, isBinary) => this.onMessage(Buffer.isBuffer(data) ? data : Buffer.concat(data as Buffer[]), isBinary));
  }

  /** Opens the stream and starts the caller's audio (silence until `say`). */
  async open(): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      this.ws.once('open', () => resolve());
      this.ws.once('close', (code, reason) => reject(new Error(`the bridge closed the stream at once: ${code} ${reason.toString()}`)));
    });
    this.opened();
    this.startMs = Date.now();
    this.timer = setInterval(() => this.pump(), 10);
  }

  /**
   * Queues the caller's speech (PCM at the call's rate); resolves when the last of it has been
   * sent (or the stream closed), with when (ms since the epoch) each of its 20 ms frames went.
   */
  async say(pcm: Buffer): Promise<number[]> {
    const utterance = { frames: Math.ceil(pcm.length / this.frameBytes), sentAtMs: [] as number[] };
    this.queue.push(pcm);
    this.utterances.push(utterance);
    while (utterance.sentAtMs.length < utterance.frames && this.ws.readyState === WebSocket.OPEN) await new Promise((resolve) => setTimeout(resolve, 10));
    return utterance.sentAtMs;
  }

  /** Everything received since index `from`, as one buffer. */
  audio(from = 0): Buffer {
    return Buffer.concat(this.received.slice(from).map((r) => r.pcm));
  }

  receivedMs(from = 0, to = this.received.length): number {
    return (this.received.slice(from, to).reduce((sum, r) => sum + r.pcm.length, 0) / 2 / this.sampleRateHz) * 1000;
  }

  /** The caller hangs up: the platform closes the stream. */
  hangUp(): Promise<{ code: number; reason: string }> {
    this.stop();
    if (this.ws.readyState === WebSocket.OPEN) this.ws.close(1000, 'hang-up');
    return this.closed;
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  sendRaw(data: Buffer | string, binary: boolean): void {
    this.ws.send(data, { binary });
  }

  /** Real time on the grid of 20 ms frames since the start, whatever the timer's lateness. */
  private pump(): void {
    if (this.ws.readyState !== WebSocket.OPEN) return this.stop();
    const due = Math.floor((Date.now() - this.startMs) / FRAME_MS) - this.sentFrames;
    for (let i = 0; i < due; i++) {
      const speaking = this.queue.length > 0;
      this.sendFrame(this.nextFrame());
      this.sentFrames += 1;
      if (!speaking) continue;
      const utterance = this.utterances.find((u) => u.sentAtMs.length < u.frames);
      utterance?.sentAtMs.push(Date.now());
      if (utterance !== undefined && utterance.sentAtMs.length === utterance.frames) this.utterances.splice(this.utterances.indexOf(utterance), 1);
    }
  }

  private nextFrame(): Buffer {
    const frame = Buffer.alloc(this.frameBytes);
    let filled = 0;
    while (filled < this.frameBytes && this.queue.length > 0) {
      const head = this.queue[0] as Buffer;
      const count = Math.min(head.length, this.frameBytes - filled);
      head.copy(frame, filled, 0, count);
      filled += count;
      if (count === head.length) this.queue.shift();
      else this.queue[0] = head.subarray(count);
    }
    return frame;
  }

  protected gotAudio(pcm: Buffer): void {
    this.received.push({ atMs: Date.now(), pcm });
  }

  protected gotClear(): void {
    this.clears.push({ atMs: Date.now(), receivedBefore: this.received.length });
  }

  protected abstract opened(): void;
  protected abstract sendFrame(pcm: Buffer): void;
  protected abstract onMessage(data: Buffer, isBinary: boolean): void;
}

const keysAre = (object: unknown, keys: string[]) =>
  typeof object === 'object' && object !== null && JSON.stringify(Object.keys(object).sort()) === JSON.stringify([...keys].sort());

/**
 * FreeSWITCH's mod_audio_stream after `uuid_audio_stream <uuid> start ws://…/freeswitch/<uuid>?rate=<rate> mono <8k|16k> <metadata>`
 * (amigniter/mod_audio_stream README): the metadata as one text message, then binary L16 mono
 * frames of 20 ms. It takes back `{"type":"streamAudio","data":{"audioDataType":"raw","sampleRate":<rate>,"audioData":"<base64>"}}`
 * and the bidirectional build's `{"type":"killAudio"}`.
 */
export class FreeswitchPeer extends CallerPeer {
  private constructor(
    baseUrl: string,
    sampleRateHz: number,
    readonly uuid: string,
  ) {
    super(`${baseUrl}/freeswitch/${uuid}?rate=${sampleRateHz}`, sampleRateHz);
  }

  static async dial(baseUrl: string, sampleRateHz: number): Promise<FreeswitchPeer> {
    const peer = new FreeswitchPeer(baseUrl, sampleRateHz, randomUUID());
    await peer.open();
    return peer;
  }

  protected override opened(): void {
    this.ws.send(JSON.stringify({ caller: '+15551230000', callee: 'voxbus' }));
  }

  protected override sendFrame(pcm: Buffer): void {
    this.ws.send(pcm, { binary: true });
  }

  protected override onMessage(data: Buffer, isBinary: boolean): void {
    if (isBinary) {
      this.unexpected.push(`binary ${data.length} bytes (the bridge is set to streamAudio)`);
      return;
    }
    const text = data.toString();
    let message: { type?: unknown; data?: { audioDataType?: unknown; sampleRate?: unknown; audioData?: unknown } };
    try {
      message = JSON.parse(text);
    } catch {
      this.unexpected.push(text.slice(0, 200));
      return;
    }
    if (message.type === 'killAudio' && keysAre(message, ['type'])) this.gotClear();
    else if (
      message.type === 'streamAudio' &&
      keysAre(message, ['type', 'data']) &&
      keysAre(message.data, ['audioDataType', 'sampleRate', 'audioData']) &&
      message.data?.audioDataType === 'raw' &&
      message.data.sampleRate === this.sampleRateHz &&
      typeof message.data.audioData === 'string'
    ) {
      this.gotAudio(Buffer.from(message.data.audioData, 'base64'));
    } else this.unexpected.push(text.slice(0, 200));
  }
}

/**
 * Azure Communication Services' bidirectional media streaming, as learn.microsoft.com's
 * "Audio streaming concepts" and server-side audio streaming quickstart show it: `AudioMetadata`
 * first, then `AudioData` every 20 ms (base64 PCM 16 or 24 kHz mono, with timestamp, participant
 * and silent flag). It takes back `{"kind":"AudioData","audioData":{"data":"<base64>"},"stopAudio":null}`
 * and `{"kind":"StopAudio","audioData":null,"stopAudio":{}}`.
 */
export class AcsPeer extends CallerPeer {
  readonly subscriptionId = randomUUID();
  readonly participantRawId = `8:acs:${randomUUID()}`;

  static async dial(baseUrl: string, sampleRateHz: number): Promise<AcsPeer> {
    const peer = new AcsPeer(`${baseUrl}/acs`, sampleRateHz);
    await peer.open();
    return peer;
  }

  protected override opened(): void {
    this.ws.send(
      JSON.stringify({
        kind: 'AudioMetadata',
        audioMetadata: { subscriptionId: this.subscriptionId, encoding: 'PCM', sampleRate: this.sampleRateHz, channels: 1, length: (this.sampleRateHz / 50) * 2 },
      }),
    );
  }

  protected override sendFrame(pcm: Buffer): void {
    const silent = pcm.every((byte) => byte === 0);
    this.ws.send(
      JSON.stringify({ kind: 'AudioData', audioData: { timestamp: new Date().toISOString(), participantRawID: this.participantRawId, data: pcm.toString('base64'), silent } }),
    );
  }

  protected override onMessage(data: Buffer, isBinary: boolean): void {
    const text = data.toString();
    let message: { kind?: unknown; audioData?: { data?: unknown } | null; stopAudio?: unknown };
    try {
      message = isBinary ? {} : JSON.parse(text);
    } catch {
      message = {};
    }
    if (message.kind === 'StopAudio' && keysAre(message, ['kind', 'audioData', 'stopAudio']) && message.audioData === null && keysAre(message.stopAudio, [])) this.gotClear();
    else if (
      message.kind === 'AudioData' &&
      keysAre(message, ['kind', 'audioData', 'stopAudio']) &&
      message.stopAudio === null &&
      keysAre(message.audioData, ['data']) &&
      typeof message.audioData?.data === 'string'
    ) {
      this.gotAudio(Buffer.from(message.audioData.data, 'base64'));
    } else this.unexpected.push(isBinary ? `binary ${data.length} bytes` : text.slice(0, 200));
  }
}
