import type { Static, TSchema } from '@sinclair/typebox';
import type { AudioFrame } from '../audio/frame-codec.js';
import type { SampleFormat } from '../audio/sample-format.js';

/**
 * One entry of the topic contract. `path` is relative to the base topic (default `voxbus`)
 * and may hold `{param}` placeholders, each exactly one topic level.
 */
interface TopicSpecBase<P extends string> {
  readonly path: P;
  /** One line: what the message means. */
  readonly summary: string;
  readonly publishedBy: string;
  readonly consumedBy: string;
}

export interface JsonTopicSpec<P extends string = string, S extends TSchema = TSchema> extends TopicSpecBase<P> {
  readonly kind: 'json';
  readonly schema: S;
  readonly retained: boolean;
  readonly qos: 0 | 1;
}

export interface AudioFormatRule {
  readonly sampleRateHz?: number;
  readonly channels?: number;
  readonly sampleFormat?: SampleFormat;
  /** Whether frames must, may or must not carry the item tag. */
  readonly itemTag: 'required' | 'optional' | 'forbidden';
}

export interface AudioTopicSpec<P extends string = string> extends TopicSpecBase<P> {
  readonly kind: 'audio';
  readonly format: AudioFormatRule;
}

export type TopicSpec = JsonTopicSpec | AudioTopicSpec;

export function jsonTopic<P extends string, S extends TSchema>(
  spec: Omit<JsonTopicSpec<P, S>, 'kind'>,
): JsonTopicSpec<P, S> {
  return { kind: 'json', ...spec };
}

export function audioTopic<P extends string>(spec: Omit<AudioTopicSpec<P>, 'kind'>): AudioTopicSpec<P> {
  return { kind: 'audio', ...spec };
}

/** The `{name}` placeholders of a path template, as a union of names. */
export type PathParamNames<P extends string> = P extends `${string}{${infer Name}}${infer Rest}`
  ? Name | PathParamNames<Rest>
  : never;

export type ParamsOf<T extends TopicSpec> = { readonly [K in PathParamNames<T['path']>]: string };

export type PayloadOf<T extends TopicSpec> = T extends JsonTopicSpec<string, infer S> ? Static<S> : AudioFrame;
