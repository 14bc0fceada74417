import { createLogger, MetricsRegistry } from '@voxbus/shared';
import { MemoryBroker, MemoryBus } from '@voxbus/shared/testing';
import { describe, expect, it } from 'vitest';
import { type DiscoveryPort, startBridge } from '../src/bridge.js';
import { HOME_ASSISTANT_DEFAULTS } from '../src/config.js';
import { entities } from '../src/entities.js';

const tick = () => new Promise((resolve) => setTimeout(resolve, 5));

/** A discovery side that keeps what is retained where, as the broker would, and can say Home Assistant came online. */
class FakeDiscovery implements DiscoveryPort {
  readonly retained = new Map<string, Readonly<Record<string, unknown>>>();
  published = 0;
  private readonly listeners: (() => void)[] = [];
  async publish(topic: string, config: Readonly<Record<string, unknown>> | undefined): Promise<void> {
    this.published += 1;
    if (config === undefined) this.retained.delete(topic);
    else this.retained.set(topic, config);
  }
  onHomeAssistantOnline(listener: () => void): void {
    this.listeners.push(listener);
  }
  homeAssistantOnline(): void {
    for (const listener of this.listeners) listener();
  }
}

async function rig(enabled: boolean, discovery = new FakeDiscovery()) {
  const broker = new MemoryBroker();
  const bus = new MemoryBus(broker);
  const peer = new MemoryBus(broker);
  const metrics = new MetricsRegistry();
  const bridge = await startBridge({ ...HOME_ASSISTANT_DEFAULTS, enabled }, { bus, discovery, log: createLogger('test', 'silent'), metrics, version: '0.1.0', nowMs: () => 1000 });
  const sent = (path: string) => broker.log.filter((entry) => entry.topic === `voxbus/${path}`).map((entry) => ({ json: JSON.parse(entry.bytes.toString()), retain: entry.retain }));
  return { broker, bus, peer, discovery, metrics, bridge, sent };
}

const count = (metrics: MetricsRegistry, name: string) => metrics.counter(name).value;

describe('the Home Assistant bridge', () => {
  it('enabled: publishes every entity retained, and again each time Home Assistant comes online', async () => {
    const { discovery, metrics } = await rig(true);
    const expected = entities({ baseTopic: 'voxbus', nodeId: 'voxbus', deviceName: 'voxbus', version: '0.1.0', transcriptMaxChars: 255 });
    expect(discovery.retained.size).toBe(expected.length);
    expect([...discovery.retained.keys()]).toContain('homeassistant/switch/voxbus/mute_user/config');
    discovery.homeAssistantOnline();
    await tick();
    expect(discovery.published).toBe(expected.length * 2);
    expect(count(metrics, 'discovery.published')).toBe(expected.length * 2);
  });

  it('disabled: removes the entities an earlier run published, and bridges nothing', async () => {
    const discovery = new FakeDiscovery();
    await rig(true, discovery);
    expect(discovery.retained.size).toBeGreaterThan(0);
    const { peer, sent } = await rig(false, discovery);
    expect(discovery.retained.size).toBe(0);
    peer.publish('realtime-gateway.event.transcript', {}, { role: 'user', kind: 'final', itemId: 'u1', responseId: null, text: 'hello' });
    await tick();
    expect(sent('home-assistant/state/transcript/user')).toEqual([]);
  });

  it("keeps each side's last final transcript retained (deltas left out), whole", async () => {
    const { peer, sent } = await rig(true);
    const long = 'word '.repeat(80).trim();
    peer.publish('realtime-gateway.event.transcript', {}, { role: 'assistant', kind: 'delta', itemId: 'a1', responseId: 'r1', text: 'It will' });
    peer.publish('realtime-gateway.event.transcript', {}, { role: 'assistant', kind: 'final', itemId: 'a1', responseId: 'r1', text: long });
    peer.publish('realtime-gateway.event.transcript', {}, { role: 'user', kind: 'final', itemId: 'u1', responseId: null, text: 'What is the weather?' });
    await tick();
    expect(sent('home-assistant/state/transcript/assistant')).toEqual([{ json: { text: long, itemId: 'a1', atMs: 1000 }, retain: true }]);
    expect(sent('home-assistant/state/transcript/user')).toEqual([{ json: { text: 'What is the weather?', itemId: 'u1', atMs: 1000 }, retain: true }]);
  });

  it("turns a mute switch's one topic into the conversation's mute or unmute; another target is refused and counted", async () => {
    const { broker, sent, metrics } = await rig(true);
    broker.publishRaw('voxbus/home-assistant/cmd/mute/user', '{"muted":true}');
    broker.publishRaw('voxbus/home-assistant/cmd/mute/assistant', '{"muted":false}');
    broker.publishRaw('voxbus/home-assistant/cmd/mute/everyone', '{"muted":true}');
    broker.publishRaw('voxbus/home-assistant/cmd/mute/user', 'ON');
    await tick();
    expect(sent('conversation/cmd/mute').map((m) => m.json)).toEqual([{ target: 'user' }]);
    expect(sent('conversation/cmd/unmute').map((m) => m.json)).toEqual([{ target: 'assistant' }]);
    expect(count(metrics, 'commands.forwarded')).toBe(2);
    expect(count(metrics, 'commands.refused')).toBe(1);
  });
});
