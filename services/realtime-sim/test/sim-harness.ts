import pino from 'pino';
import { realtimeEventErrors } from '@voxbus/shared/realtime';
import { FakeClock } from '@voxbus/shared/testing';
import type { Endpoint } from '../src/endpoint.js';
import { sequentialIds } from '../src/ids.js';
import { defaultToolTrigger, SimSession, type SimSessionOptions } from '../src/realtime-session.js';
import { syntheticVoice } from '../src/voice.js';

export type Event = Record<string, unknown> & { type: string };

export const GA_OPENAI: Endpoint = { provider: 'openai', dialect: 'ga', model: 'gpt-realtime' };
export const BETA_VOICE_LIVE: Endpoint = { provider: 'voice-live', dialect: 'beta', model: 'gpt-realtime' };

/** PCM16 24 kHz base64 of `ms` of a sine at `amplitude` (0 = silence). */
export function tone(ms: number, amplitude: number, hz = 300): string {
  const samples = new Int16Array(ms * 24);
  for (let i = 0; i < samples.length; i++) samples[i] = Math.round(Math.sin((2 * Math.PI * hz * i) / 24000) * amplitude * 32767);
  return Buffer.from(samples.buffer).toString('base64');
}

/**
 * A SimSession on a fake clock with the synthetic voice, recording what it sends and failing
 * the test if any event breaks the official schema of its dialect.
 */
export class SimHarness {
  readonly clock = new FakeClock(1_795_000_000_000);
  readonly events: Event[] = [];
  readonly schemaErrors: string[] = [];
  closedWith: { code: number; reason: string } | undefined;
  readonly session: SimSession;

  constructor(readonly endpoint: Endpoint, overrides: Partial<SimSessionOptions> = {}) {
    this.session = new SimSession({
      endpoint,
      clock: this.clock,
      ids: sequentialIds(),
      voice: syntheticVoice,
      log: pino({ level: 'silent' }),
      realtimeFactor: 4,
      deltaMs: 100,
      replyText: ({ spokenMs, userText, toolOutput }) =>
        toolOutput !== undefined ? `The tool answered: ${toolOutput}` : userText ? `You wrote ${userText}.` : `You spoke for ${(spokenMs / 1000).toFixed(1)} seconds.`,
      toolTrigger: defaultToolTrigger('on_spoken_turn'),
      sessionMaxMs: 60 * 60_000,
      send: (event) => {
        const errors = realtimeEventErrors(endpoint.dialect, 'server', event);
        if (errors) this.schemaErrors.push(errors);
        this.events.push(event as Event);
      },
      close: (code, reason) => (this.closedWith = { code, reason }),
      ...overrides,
    });
    this.session.open();
  }

  send(event: Record<string, unknown>): void {
    this.session.receive(JSON.stringify(event));
  }

  /** Appends audio in 20 ms events, as a client streaming a microphone would. */
  speak(segments: [ms: number, amplitude: number][]): void {
    for (const [ms, amplitude] of segments) {
      for (let at = 0; at < ms; at += 20) this.send({ type: 'input_audio_buffer.append', audio: tone(Math.min(20, ms - at), amplitude) });
    }
  }

  /** Lets the (promise-based) voice resolve, then moves the clock. */
  async advance(ms: number): Promise<void> {
    await new Promise((resolve) => setImmediate(resolve));
    for (let done = 0; done < ms; done += 5) {
      this.clock.advance(5);
      await Promise.resolve();
    }
  }

  types(from = 0): string[] {
    return this.events.slice(from).map((event) => event.type);
  }

  /** The last event of a type, as the type's shape the caller expects (a test fails on a wrong one). */
  last<T extends object = Event>(type: string): (T & Event) | undefined {
    return [...this.events].reverse().find((event) => event.type === type) as (T & Event) | undefined;
  }

  errors(): Record<string, unknown>[] {
    return this.events.filter((event) => event.type === 'error').map((event) => event.error as Record<string, unknown>);
  }
}
