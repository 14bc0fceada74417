import { describe, expect, it } from 'vitest';
import { buildTopic, checkBaseTopic, CONTRACT, ContractError, filterMatches, matchTopic } from '@voxbus/shared';

describe('topic paths', () => {
  const status = CONTRACT['service.status'];

  it('builds concrete topics and subscription filters from templates', () => {
    expect(buildTopic('voxbus', status, { service: 'dsp' })).toBe('voxbus/dsp/status');
    expect(buildTopic('voxbus/kitchen', status, { service: '+' }, true)).toBe('voxbus/kitchen/+/status');
    expect(buildTopic('voxbus', CONTRACT['audio.mic'], {})).toBe('voxbus/audio/mic');
  });

  it('refuses wildcards, separators and missing parameters in published topics', () => {
    expect(() => buildTopic('voxbus', status, { service: '+' })).toThrow(ContractError);
    expect(() => buildTopic('voxbus', status, { service: 'a/b' })).toThrow(/one topic level/);
    expect(() => buildTopic('voxbus', status, {})).toThrow(/missing/);
    expect(() => checkBaseTopic('voxbus/#')).toThrow(ContractError);
    expect(() => checkBaseTopic('')).toThrow(ContractError);
  });

  it('extracts parameters from a received topic, and rejects other topics', () => {
    expect(matchTopic('voxbus', status, 'voxbus/playback/status')).toEqual({ service: 'playback' });
    expect(matchTopic('voxbus', status, 'voxbus/playback/metrics')).toBeUndefined();
    expect(matchTopic('voxbus', status, 'other/playback/status')).toBeUndefined();
    expect(matchTopic('voxbus', status, 'voxbus/a/b/status')).toBeUndefined();
  });

  it('matches MQTT filters as MQTT 3.1.1 does', () => {
    expect(filterMatches('voxbus/+/status', 'voxbus/dsp/status')).toBe(true);
    expect(filterMatches('voxbus/+/status', 'voxbus/dsp/x/status')).toBe(false);
    expect(filterMatches('voxbus/#', 'voxbus/audio/mic')).toBe(true);
    expect(filterMatches('voxbus/#', 'voxbus')).toBe(true);
    expect(filterMatches('voxbus/audio/mic', 'voxbus/audio/mic/x')).toBe(false);
    expect(filterMatches('voxbus/audio/+', 'voxbus/audio')).toBe(false);
  });
});
