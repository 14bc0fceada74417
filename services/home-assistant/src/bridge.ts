import type { Bus, Logger, MetricsRegistry } from '@voxbus/shared';
import type { HomeAssistantConfig } from './config.js';
import { discoveryTopic, type Entity, entities } from './entities.js';

/** Home Assistant's side of the broker: the discovery configs, outside the base topic. */
export interface DiscoveryPort {
  /** Publishes a config retained, or (undefined) an empty retained message, which removes the entity. */
  publish(topic: string, config: Readonly<Record<string, unknown>> | undefined): Promise<void>;
  /** Calls back each time Home Assistant says it is online (it restarted and lost what it knew). */
  onHomeAssistantOnline(listener: () => void): void;
}

export interface BridgeDeps {
  readonly bus: Bus;
  readonly discovery: DiscoveryPort;
  readonly log: Logger;
  readonly metrics: MetricsRegistry;
  readonly version: string;
  readonly nowMs: () => number;
}

const MUTE_TARGETS = new Set(['user', 'assistant']);

/**
 * The bridge between the bus and Home Assistant: publishes the board's entities (or removes them
 * when disabled), keeps each side's last final transcript retained for the transcript sensors,
 * and turns a mute switch's one topic into the conversation's mute or unmute command.
 */
export async function startBridge(config: HomeAssistantConfig, deps: BridgeDeps): Promise<{ stop(): void }> {
  const { bus, discovery, log, metrics } = deps;
  const counters = {
    configs: metrics.counter('discovery.published'),
    removed: metrics.counter('discovery.removed'),
    failed: metrics.counter('discovery.failed'),
    transcripts: metrics.counter('transcripts.kept'),
    commands: metrics.counter('commands.forwarded'),
    refused: metrics.counter('commands.refused'),
  };
  const board = entities({ baseTopic: bus.baseTopic, nodeId: config.nodeId, deviceName: config.deviceName, version: deps.version, transcriptMaxChars: config.transcriptMaxChars });
  const publishAll = async (entitiesToSay: readonly Entity[], remove: boolean) => {
    const results = await Promise.allSettled(
      entitiesToSay.map((e) => discovery.publish(discoveryTopic(config.nodeId, e.component, e.objectId), remove ? undefined : e.config)),
    );
    const failed = results.filter((r) => r.status === 'rejected');
    (remove ? counters.removed : counters.configs).inc(results.length - failed.length);
    if (failed.length > 0) {
      counters.failed.inc(failed.length);
      log.error({ failed: failed.length, err: String((failed[0] as PromiseRejectedResult).reason) }, 'could not publish Home Assistant discovery configs');
    }
  };
  const owner = 'home-assistant';
  if (!config.enabled) {
    // Disabled: what an earlier run published is taken back, so no entity is left behind.
    await publishAll(board, true);
    log.info({ entities: board.length, nodeId: config.nodeId }, 'Home Assistant discovery disabled: its entities removed');
    return { stop: () => undefined };
  }
  await publishAll(board, false);
  log.info({ entities: board.length, nodeId: config.nodeId }, 'the board is in Home Assistant (MQTT discovery)');
  discovery.onHomeAssistantOnline(() => {
    log.info('Home Assistant came online: discovery configs said again');
    void publishAll(board, false);
  });
  bus.subscribe(owner, 'realtime-gateway.event.transcript', {}, ({ payload }) => {
    if (payload.kind !== 'final') return;
    bus.publish('home-assistant.state.transcript', { role: payload.role }, { text: payload.text, itemId: payload.itemId, atMs: deps.nowMs() });
    counters.transcripts.inc();
  });
  bus.subscribe(owner, 'home-assistant.cmd.mute', { target: '+' }, ({ params, payload }) => {
    // The contract's path types do not reach its params here: the level is read by name.
    const target = (params as Readonly<Record<string, string>>).target ?? '';
    if (!MUTE_TARGETS.has(target)) {
      counters.refused.inc();
      log.warn({ target }, 'home-assistant/cmd/mute/<target>: the target is user or assistant; command ignored');
      return;
    }
    bus.publish(payload.muted ? 'conversation.cmd.mute' : 'conversation.cmd.unmute', {}, { target: target as 'user' | 'assistant' });
    counters.commands.inc();
  });
  return { stop: () => bus.unsubscribeAll(owner) };
}
