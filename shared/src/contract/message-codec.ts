import { type AudioFrame, decodeAudioFrame, encodeAudioFrame } from '../audio/frame-codec.js';
import { ContractError, ProtocolError, errorMessage } from '../errors.js';
import type { AudioFormatRule, TopicSpec } from './topic-spec.js';
import { schemaErrors } from './validate.js';

/** Anything larger is refused on publish and dropped on receive (the broker has the same cap). */
export const DEFAULT_MAX_PAYLOAD_BYTES = 256 * 1024;

function audioRuleError(rule: AudioFormatRule, frame: AudioFrame): string | undefined {
  if (rule.sampleRateHz !== undefined && frame.sampleRateHz !== rule.sampleRateHz) {
    return `sampleRateHz is ${frame.sampleRateHz}, the topic requires ${rule.sampleRateHz}`;
  }
  if (rule.channels !== undefined && frame.channels !== rule.channels) {
    return `channels is ${frame.channels}, the topic requires ${rule.channels}`;
  }
  if (rule.sampleFormat !== undefined && frame.sampleFormat !== rule.sampleFormat) {
    return `sampleFormat is ${frame.sampleFormat}, the topic requires ${rule.sampleFormat}`;
  }
  if (rule.itemTag === 'required' && !frame.item) return 'the topic requires an item tag';
  if (rule.itemTag === 'forbidden' && frame.item) return 'the topic forbids an item tag';
  return undefined;
}

/** Payload → wire bytes; throws ContractError if the payload breaks the topic's contract. */
export function encodeMessage(spec: TopicSpec, payload: unknown, maxPayloadBytes = DEFAULT_MAX_PAYLOAD_BYTES): Buffer {
  let bytes: Buffer;
  if (spec.kind === 'audio') {
    const frame = payload as AudioFrame;
    const ruleError = audioRuleError(spec.format, frame);
    if (ruleError) throw new ContractError(`${spec.path}: ${ruleError}`);
    bytes = encodeAudioFrame(frame);
  } else {
    const errors = schemaErrors(spec.schema, payload);
    if (errors) throw new ContractError(`${spec.path}: ${errors}`);
    bytes = Buffer.from(JSON.stringify(payload), 'utf8');
  }
  if (bytes.length > maxPayloadBytes) {
    throw new ContractError(`${spec.path}: payload is ${bytes.length} bytes, over the ${maxPayloadBytes}-byte limit`);
  }
  return bytes;
}

/** Wire bytes → payload; throws ProtocolError naming what is wrong. */
export function decodeMessage(spec: TopicSpec, bytes: Buffer, maxPayloadBytes = DEFAULT_MAX_PAYLOAD_BYTES): unknown {
  if (bytes.length > maxPayloadBytes) {
    throw new ProtocolError(`payload is ${bytes.length} bytes, over the ${maxPayloadBytes}-byte limit`);
  }
  if (spec.kind === 'audio') {
    const frame = decodeAudioFrame(bytes);
    const ruleError = audioRuleError(spec.format, frame);
    if (ruleError) throw new ProtocolError(`bad audio frame: ${ruleError}`);
    return frame;
  }
  let value: unknown;
  try {
    value = JSON.parse(bytes.toString('utf8'));
  } catch (error) {
    throw new ProtocolError(`payload is not JSON: ${errorMessage(error)}`);
  }
  const errors = schemaErrors(spec.schema, value);
  if (errors) throw new ProtocolError(errors);
  return value;
}
