import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { describe, expect, it } from 'vitest';
import { type EventSide, type RealtimeDialect, realtimeEventErrors, realtimeEventTypes } from '../src/realtime/realtime-schemas.js';

const schemaFile = (dialect: RealtimeDialect) =>
  JSON.parse(readFileSync(join(import.meta.dirname, '..', 'schemas', `openai-realtime-${dialect}.schema.json`), 'utf8')) as {
    $defs: Record<string, { properties?: { type?: { const?: string; enum?: string[] } } }>;
  };

/** The reference: the same schema compiled at run time, as the code did before the build step. */
function runtimeCompiled(dialect: RealtimeDialect, side: EventSide): Map<string, (event: unknown) => boolean> {
  const file = schemaFile(dialect);
  const ajv = new Ajv2020({ strict: false, allErrors: true, validateFormats: false });
  ajv.addSchema(file, 'reference');
  const prefix = side === 'server' ? 'RealtimeServerEvent' : 'RealtimeClientEvent';
  const out = new Map<string, (event: unknown) => boolean>();
  for (const [name, definition] of Object.entries(file.$defs)) {
    const type = definition.properties?.type?.const ?? definition.properties?.type?.enum?.[0];
    if (name.startsWith(prefix) && type) out.set(type, (event) => ajv.validate({ $ref: `reference#/$defs/${name}` }, event) as boolean);
  }
  return out;
}

// Valid and broken events of both sides, each judged by the reference and by the compiled code.
const SAMPLES: Record<EventSide, unknown[]> = {
  client: [
    { type: 'session.update', session: { type: 'realtime', instructions: 'hi', audio: { input: { format: { type: 'audio/pcm', rate: 24000 } } } } },
    { type: 'session.update', session: { type: 'realtime', tools: [{ type: 'function', name: 'weather', description: 'the weather', parameters: {} }] } },
    // "description" is a tool's property here, not prose: stripping prose must not drop its check.
    { type: 'session.update', session: { type: 'realtime', tools: [{ type: 'function', name: 'weather', description: 5 }] } },
    { type: 'session.update', session: { instructions: 'hi', modalities: ['text', 'audio'], voice: 'alloy', turn_detection: { type: 'server_vad', threshold: 0.5 } } },
    { type: 'session.update', session: { input_audio_format: 'mp3', instructions: 7 } },
    { type: 'input_audio_buffer.append', audio: 'AAAA' },
    { type: 'input_audio_buffer.append' },
    { type: 'conversation.item.truncate', item_id: 'item_1', content_index: 0, audio_end_ms: 1200 },
    { type: 'conversation.item.truncate', item_id: 'item_1', content_index: 0, audio_end_ms: 'x' },
    { type: 'conversation.item.create', item: { type: 'function_call_output', call_id: 'call_1', output: '{}' } },
    { type: 'response.create' },
    { type: 'response.cancel', event_id: 'x'.repeat(600) },
  ],
  server: [
    { type: 'session.created', event_id: 'e1', session: { type: 'realtime', id: 'sess_1', object: 'realtime.session' } },
    { type: 'session.created' },
    { type: 'response.output_audio.delta', event_id: 'e2', response_id: 'r', item_id: 'i', output_index: 0, content_index: 0, delta: 'AAAA' },
    { type: 'response.audio.delta', event_id: 'e2', response_id: 'r', item_id: 'i', output_index: 0, content_index: 0, delta: 'AAAA' },
    { type: 'input_audio_buffer.speech_started', event_id: 'e3', audio_start_ms: 100, item_id: 'i' },
    { type: 'input_audio_buffer.speech_started', event_id: 'e3', audio_start_ms: 'soon', item_id: 'i' },
    { type: 'error', event_id: 'e4', error: { type: 'invalid_request_error', message: 'no' } },
    { type: 'error', event_id: 'e4' },
  ],
};

describe('realtime validators compiled at build time', () => {
  for (const dialect of ['ga', 'beta'] as const) {
    for (const side of ['client', 'server'] as const) {
      it(`cover every ${dialect} ${side} event type of the official schema`, () => {
        expect(realtimeEventTypes(dialect, side).sort()).toEqual([...runtimeCompiled(dialect, side).keys()].sort());
      });

      it(`judge ${dialect} ${side} events as the schema compiled at run time does`, () => {
        const reference = runtimeCompiled(dialect, side);
        let judged = 0;
        for (const event of SAMPLES[side]) {
          const type = (event as { type: string }).type;
          const validate = reference.get(type);
          if (!validate) {
            expect(realtimeEventErrors(dialect, side, event), `${type} is not a ${dialect} ${side} event`).toMatch(/is not a/);
            continue;
          }
          // Beta events are checked in their schema form: compare on the ones that need no rewriting.
          const errors = realtimeEventErrors(dialect, side, event);
          expect(errors === undefined, `${dialect} ${side} ${JSON.stringify(event).slice(0, 120)}: ${errors ?? 'valid'}`).toBe(validate(event));
          judged++;
        }
        expect(judged).toBeGreaterThan(2);
      });
    }
  }

  it('say what is wrong and where, as Ajv words it', () => {
    expect(realtimeEventErrors('ga', 'client', { type: 'conversation.item.truncate', item_id: 'i', content_index: 0, audio_end_ms: 'x' })).toBe(
      'conversation.item.truncate: event/audio_end_ms must be integer',
    );
    expect(realtimeEventErrors('ga', 'client', { type: 'no.such.event' })).toBe('"no.such.event" is not a ga client event');
  });
});

describe('a service starting', () => {
  it('validates its first session.update without compiling a schema (CPU time: 0.3 s when compiled on first use)', async () => {
    const { execFileSync } = await import('node:child_process');
    const script = `
      import { realtimeEventErrors } from '@voxbus/shared/realtime';
      const before = process.cpuUsage();
      const errors = realtimeEventErrors('ga', 'client', { type: 'session.update', session: { type: 'realtime', instructions: 'hi' } });
      const used = process.cpuUsage(before);
      console.log(JSON.stringify({ errors: errors ?? null, cpuMs: (used.user + used.system) / 1000 }));
    `;
    // A fresh process on the built package, as a service starts: nothing compiled or cached yet.
    const out = execFileSync(process.execPath, ['--input-type=module', '-e', script], { cwd: join(import.meta.dirname, '..'), encoding: 'utf8' });
    const { errors, cpuMs } = JSON.parse(out) as { errors: string | null; cpuMs: number };
    expect(errors).toBeNull();
    expect(cpuMs, `CPU for the first session.update validation: ${cpuMs} ms`).toBeLessThan(100);
  });
});
