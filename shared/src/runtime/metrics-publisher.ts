import type { TObject } from '@sinclair/typebox';
import { acquireProcessSampler } from './process-stats.js';
import type { ConnectedServiceContext, ServiceUnit } from './run-service.js';

/**
 * Publishes `voxbus/<service>/metrics` every `metricsIntervalMs`. Its `process` figures are the
 * process's: services run in one process share them, taken at most half an interval before.
 */
export function startMetricsPublisher<S extends TObject>(context: ConnectedServiceContext<S>): ServiceUnit {
  const { bus, clock, service, metrics } = context;
  const sampler = acquireProcessSampler();
  const startedMs = clock.nowMs();
  const timer = clock.setRepeating('metrics', context.common.metricsIntervalMs, () => {
    if (!bus.connected) return;
    const atMs = clock.nowMs();
    bus.publish('service.metrics', { service }, {
      service,
      atMs,
      uptimeMs: atMs - startedMs,
      process: sampler.sample(atMs, context.common.metricsIntervalMs / 2),
      bus: bus.counters(),
      counters: metrics.snapshot(),
    });
  });
  return {
    stop: () => {
      timer.cancel();
      sampler.release();
    },
  };
}
