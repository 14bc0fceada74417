import type { TObject } from '@sinclair/typebox';
import { errorMessage } from '../errors.js';
import { CONFIG_VERSION, CommonConfigSchema } from './common-config.js';
import { redactSecrets } from './redact.js';
import type { ConnectedServiceContext, ServiceUnit } from './run-service.js';

const OWNER = 'runtime:describe';

/** Answers `voxbus/<service>/req/describe` with the version and the redacted effective config. */
export function serveDescribe<S extends TObject>(context: ConnectedServiceContext<S>, schema: S, startedAt: string): ServiceUnit {
  const { bus, service } = context;
  bus.subscribe(OWNER, 'service.describe.req', { service }, ({ payload }) => {
    try {
      bus.publish('service.describe.res', { service }, {
        requestId: payload.requestId,
        ok: true,
        data: {
          service,
          version: context.version,
          startedAt,
          configVersion: CONFIG_VERSION,
          // Both are objects (their schemas are), and stay so redacted.
          config: { common: redactSecrets(CommonConfigSchema, context.common) as Record<string, unknown>, [service]: redactSecrets(schema, context.config) as Record<string, unknown> },
        },
      });
    } catch (error) {
      bus.publish('service.describe.res', { service }, {
        requestId: payload.requestId,
        ok: false,
        error: { code: 'internal', message: errorMessage(error) },
      });
    }
  });
  return { stop: () => bus.unsubscribeAll(OWNER) };
}
