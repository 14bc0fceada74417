import { describe, expect, it } from 'vitest';
import { isCommandTopic, RetainedPolicy } from '../src/retained-policy.js';

describe('what the broker keeps retained', () => {
  it('keeps statuses and states, under any base topic, and nothing else', () => {
    const policy = new RetainedPolicy(16);
    expect(policy.judge('voxbus/dsp/status', 10)).toBeUndefined();
    expect(policy.judge('voxbus/conversation/state', 10)).toBeUndefined();
    expect(policy.judge('voxbus/kitchen/playback/state', 10)).toBeUndefined();
    expect(policy.judge('voxbus/realtime-gateway/cmd/say', 10)).toMatch(/commands are never retained/);
    expect(policy.judge('voxbus/dsp/event/levels', 10)).toMatch(/does not retain/);
    expect(policy.judge('voxbus/anything/at/all', 10)).toMatch(/does not retain/);
    expect(policy.judge('status', 10)).toMatch(/does not retain/);
    expect(isCommandTopic('voxbus/kitchen/broker/req/describe')).toBe(true);
  });

  it("keeps Home Assistant's discovery configs (with or without a node id), and nothing else of its prefix", () => {
    const policy = new RetainedPolicy(16);
    expect(policy.judge('homeassistant/switch/kitchen/mute_user/config', 10)).toBeUndefined();
    expect(policy.judge('homeassistant/sensor/latency/config', 10)).toBeUndefined();
    expect(policy.judge('voxbus/home-assistant/state/transcript/user', 10)).toBeUndefined();
    expect(policy.judge('homeassistant/status', 10)).toMatch(/does not retain/);
    expect(policy.judge('homeassistant/switch/kitchen/mute_user/set', 10)).toMatch(/does not retain/);
    expect(policy.judge('elsewhere/switch/kitchen/mute_user/config', 10)).toMatch(/does not retain/);
  });

  it('keeps at most maxTopics, and an empty retained message frees its topic', () => {
    const policy = new RetainedPolicy(16);
    for (let i = 0; i < 16; i++) expect(policy.judge(`voxbus/made-up-${i}/status`, 10)).toBeUndefined();
    expect(policy.judge('voxbus/one-more/status', 10)).toMatch(/beyond the 16 retained topics/);
    expect(policy.judge('voxbus/made-up-3/status', 20)).toBeUndefined();
    expect(policy.judge('voxbus/made-up-3/status', 0)).toBeUndefined();
    expect(policy.judge('voxbus/one-more/status', 10)).toBeUndefined();
  });
});
