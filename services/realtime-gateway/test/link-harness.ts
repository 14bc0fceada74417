import type pino from 'pino';
import { captureLog } from '../../../test/helpers/log-capture.js';
import { type AudioFrame, MetricsRegistry } from '@voxbus/shared';
import { FakeClock, MemoryBroker, MemoryBus } from '@voxbus/shared/testing';
import { defaultToolTrigger, type Endpoint, sequentialIds, SimSession, syntheticVoice } from '@voxbus/realtime-sim/lib';
import { GATEWAY_DEFAULTS, type GatewayConfig } from '../src/config.js';
import type { ResolvedEndpoint } from '../src/endpoint.js';
import { wireGatewayBus } from '../src/gateway-bus.js';
import { RealtimeGateway } from '../src/realtime-gateway.js';
import type { LinkTransport, TransportEvents } from '../src/transport.js';
import type { RealtimeLink } from '../src/realtime-link.js';

/**
 * The gateway (RealtimeGateway: link, session settings, state) over an in-memory transport to
 * the real simulator logic (no sockets), on a fake clock and a MemoryBus, so a whole
 * conversation runs deterministically.
 */
export class LinkHarness {
  readonly clock = new FakeClock(1_795_000_000_000);
  readonly broker = new MemoryBroker();
  readonly bus = new MemoryBus(this.broker);
  /** Another service on the bus (a tool implementation, a monitor). */
  readonly peer = new MemoryBus(this.broker);
  readonly metrics = new MetricsRegistry();
  readonly gateway: RealtimeGateway;
  sim: SimSession;
  readonly simEvents: Record<string, unknown>[] = [];
  readonly sentByGateway: Record<string, unknown>[] = [];
  connected = true;
  private sequence = 0;
  /** What the gateway logged (JSON lines). */
  readonly logLines: Record<string, unknown>[];
  private readonly log: pino.Logger;
  private events: TransportEvents | undefined;

  constructor(private readonly endpoint: Endpoint, overrides: Partial<GatewayConfig> = {}) {
    const captured = captureLog();
    this.log = captured.log;
    this.logLines = captured.lines;
    const config: GatewayConfig = { ...GATEWAY_DEFAULTS, ...overrides };
    const provider = endpoint.provider === 'voice-live' ? 'voice-live' : endpoint.provider;
    const resolved: ResolvedEndpoint = { provider, dialect: endpoint.dialect, model: endpoint.model, url: 'memory:', headers: {}, simulated: false };
    const connected = () => this.connected;
    const transport: LinkTransport = {
      get connected() {
        return connected();
      },
      start: () => this.open(),
      stop: async () => {},
      send: (text) => {
        if (!this.connected) return false;
        this.sentByGateway.push(JSON.parse(text) as Record<string, unknown>);
        this.sim.receive(text);
        return true;
      },
      reconnect: () => this.reconnect(),
      disconnect: async () => {},
    };
    this.gateway = new RealtimeGateway({
      config, endpoint: resolved, bus: this.bus, clock: this.clock, log: this.log, metrics: this.metrics,
      transport: (events) => {
        this.events = events;
        return transport;
      },
    });
    this.sim = this.newSim(endpoint);
    wireGatewayBus(this.bus, this.gateway, this.log);
    this.gateway.start();
  }

  get link(): RealtimeLink {
    return this.gateway.link;
  }

  /** The connection's rotation timer fired (the session is near the service's cap). */
  rotationDue(): void {
    this.events?.onRotationDue();
  }

  /** The link drops and comes back: a new socket, a new session that knows nothing of the old one. */
  reconnect(): void {
    this.sim = this.newSim(this.endpoint);
    this.open();
  }

  private open(): void {
    this.events?.onOpen();
    this.events?.onState('connected', null, 0);
    this.sim.open();
  }

  private newSim(endpoint: Endpoint): SimSession {
    const sim: SimSession = new SimSession({
      endpoint,
      clock: this.clock,
      ids: sequentialIds(),
      voice: syntheticVoice,
      log: this.log,
      realtimeFactor: 4,
      deltaMs: 100,
      replyText: ({ toolOutput, userText, spokenMs }) =>
        toolOutput !== undefined ? `The tool answered: ${toolOutput}` : userText ? `You wrote ${userText}.` : `You spoke for ${(spokenMs / 1000).toFixed(1)} seconds.`,
      toolTrigger: defaultToolTrigger(''),
      sessionMaxMs: 3_600_000,
      send: (event) => {
        // What a dropped socket's session still says reaches nobody.
        if (this.sim !== sim) return;
        this.simEvents.push(event);
        this.link.receive(JSON.stringify(event));
      },
      close: () => {},
    });
    return sim;
  }

  /** Model-ready microphone frames of 20 ms, as the dsp publishes them. */
  speak(segments: [ms: number, amplitude: number][]): void {
    for (const [ms, amplitude] of segments) {
      for (let at = 0; at < ms; at += 20) {
        const samples = new Int16Array(480);
        for (let i = 0; i < samples.length; i++) samples[i] = Math.round(Math.sin((2 * Math.PI * 300 * (at * 24 + i)) / 24000) * amplitude * 32767);
        const frame: AudioFrame = { sampleRateHz: 24000, channels: 1, sampleFormat: 's16le', sequence: this.sequence++, captureTimeUs: this.clock.monotonicUs(), pcm: new Uint8Array(samples.buffer) };
        this.peer.publish('audio.input', {}, frame);
      }
    }
  }

  async advance(ms: number): Promise<void> {
    await new Promise((resolve) => setImmediate(resolve));
    for (let done = 0; done < ms; done += 5) {
      this.clock.advance(5);
      await Promise.resolve();
    }
  }

  /** Everything published on the bus under a topic, decoded as JSON (audio frames as raw bytes). */
  published(topic: string): Record<string, unknown>[] {
    return this.broker.log.filter((entry) => entry.topic === topic).map((entry) => JSON.parse(entry.bytes.toString()) as Record<string, unknown>);
  }

  counter(name: string): number {
    return this.metrics.snapshot()[name] ?? 0;
  }
}
