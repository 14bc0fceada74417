import type { TObject } from '@sinclair/typebox';
import { ProcessSampler } from './process-stats.js';
import type { ConnectedServiceContext, ServiceUnit } from './run-service.js';

/** Publishes `voxbus/<service>/metrics` every `metricsIntervalMs`. */
export function startMetricsPublisher<S extends TObject>(context: ConnectedServiceContext<S>): ServiceUnit {
  const { bus, clock, service, metrics } = context;
  const sampler = new ProcessSampler();
  const startedMs = clock.nowMs();
  const timer = clock.setRepeating('metrics', context.common.metricsIntervalMs, () => {
    if (!bus.connected) return;
    const atMs = clock.nowMs();
    bus.publish('service.metrics', { service }, {
      service,
      atMs,
      uptimeMs: atMs - startedMs,
      process: sampler.sample(),
      bus: bus.counters(),
      counters: metrics.snapshot(),
    });
  });
  return {
    stop: () => {
      timer.cancel();
      sampler.stop();
    },
  };
}
