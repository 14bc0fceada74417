import type { RealtimeDialect } from '@voxbus/shared';

/** GA event names that the beta dialect (Azure preview, Voice Live) calls otherwise. */
const BETA_NAMES: Readonly<Record<string, string>> = {
  'conversation.item.added': 'conversation.item.created',
  'response.output_audio.delta': 'response.audio.delta',
  'response.output_audio.done': 'response.audio.done',
  'response.output_audio_transcript.delta': 'response.audio_transcript.delta',
  'response.output_audio_transcript.done': 'response.audio_transcript.done',
  'response.output_text.delta': 'response.text.delta',
  'response.output_text.done': 'response.text.done',
};

/** GA events the beta dialect does not have at all. */
const GA_ONLY = new Set(['conversation.item.done']);

/** The dialect's name for a GA event, or undefined when the dialect has no such event. */
export function eventName(gaName: string, dialect: RealtimeDialect): string | undefined {
  if (dialect === 'ga') return gaName;
  if (GA_ONLY.has(gaName)) return undefined;
  return BETA_NAMES[gaName] ?? gaName;
}

/** Assistant content types inside items: GA `output_audio`/`output_text`, beta `audio`/`text`. */
export function assistantContentType(kind: 'audio' | 'text', dialect: RealtimeDialect): string {
  return dialect === 'ga' ? `output_${kind}` : kind;
}
