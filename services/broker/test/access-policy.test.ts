import { filterMatches } from '@voxbus/shared';
import { describe, expect, it } from 'vitest';
import { anyFilterMatcher, grantFor } from '../src/access-policy.js';

describe('anyFilterMatcher (the ACL asked on every publish and delivery)', () => {
  const filters = ['voxbus/dsp/#', 'voxbus/+/status', 'voxbus/audio/input'];

  it('answers as filterMatches does, asked once or again, before and after it forgets', () => {
    const matches = anyFilterMatcher(filters);
    const expected = (topic: string) => filters.some((filter) => filterMatches(filter, topic));
    const topics = ['voxbus/dsp/state', 'voxbus/dsp', 'voxbus/playback/status', 'voxbus/audio/input', 'voxbus/audio/input/x', 'voxbus/audio/mic', 'voxbus', ''];
    // A fuzzer's many distinct topics in between: the remembered answers are dropped and asked again.
    const noise = Array.from({ length: 700 }, (_, i) => `voxbus/noise/${i}`);
    for (const topic of [...topics, ...noise, ...topics, ...topics]) expect(matches(topic), topic).toBe(expected(topic));
  });

  it('with no filters, matches nothing', () => {
    expect(anyFilterMatcher([])('voxbus/dsp/state')).toBe(false);
  });
});

describe("Home Assistant's topics under access rules", () => {
  it("lets the bridge publish discovery configs and Home Assistant (a controller) say its status and use the switches, and no more", () => {
    const bridge = grantFor({ username: 'home-assistant', role: 'service', hearAudio: false }, 'voxbus');
    expect(bridge.canPublish('homeassistant/switch/voxbus/mute_user/config')).toBe(true);
    expect(bridge.canPublish('voxbus/home-assistant/state/transcript/user')).toBe(true);
    expect(bridge.canPublish('voxbus/conversation/cmd/mute')).toBe(true);
    expect(bridge.canPublish('voxbus/playback/cmd/volume')).toBe(false);
    const dsp = grantFor({ username: 'dsp', role: 'service', hearAudio: false }, 'voxbus');
    expect(dsp.canPublish('homeassistant/switch/voxbus/mute_user/config')).toBe(false);
    const homeAssistant = grantFor({ username: 'ha', role: 'controller', hearAudio: false }, 'voxbus');
    expect(homeAssistant.canPublish('homeassistant/status')).toBe(true);
    expect(homeAssistant.canPublish('voxbus/home-assistant/cmd/mute/user')).toBe(true);
    expect(homeAssistant.canPublish('homeassistant/switch/voxbus/mute_user/config')).toBe(false);
    const monitor = grantFor({ username: 'watcher', role: 'monitor', hearAudio: false }, 'voxbus');
    expect(monitor.canPublish('homeassistant/status')).toBe(false);
  });
});

describe("the telephony bridge's login under access rules", () => {
  it('publishes as itself and as the audio-capture and playback it stands in for (status, state, audio, answers), and no other service', () => {
    const bridge = grantFor({ username: 'telephony-bridge', role: 'service', hearAudio: false }, 'voxbus');
    for (const topic of [
      'voxbus/telephony-bridge/status',
      'voxbus/telephony-bridge/state',
      'voxbus/conversation/cmd/start',
      'voxbus/conversation/cmd/end',
      'voxbus/playback/status',
      'voxbus/playback/metrics',
      'voxbus/playback/res/describe',
      'voxbus/playback/state',
      'voxbus/playback/event/item',
      'voxbus/audio/played',
      'voxbus/audio-capture/status',
      'voxbus/audio-capture/state',
      'voxbus/audio/mic',
    ]) {
      expect(bridge.canPublish(topic), topic).toBe(true);
    }
    for (const topic of ['voxbus/dsp/status', 'voxbus/audio/output', 'voxbus/playback/cmd/flush', 'voxbus/conversation/cmd/mute', 'voxbus/realtime-gateway/cmd/cancel']) {
      expect(bridge.canPublish(topic), topic).toBe(false);
    }
    // The services it stands in for keep only their own.
    const playback = grantFor({ username: 'playback', role: 'service', hearAudio: false }, 'voxbus');
    expect(playback.canPublish('voxbus/audio-capture/status')).toBe(false);
    expect(playback.canPublish('voxbus/playback/status')).toBe(true);
  });
});
