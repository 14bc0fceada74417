import { SERVICE_PUBLISHES } from '../../contract/access.js';
import { CONTRACT, KNOWN_SERVICES } from '../../contract/contract.js';
import type { CliMessage } from '../cli-bus.js';
import { follow } from './monitor.js';
import { UsageError } from './options.js';

/**
 * `voxbus tail <service>`: what one service publishes, as it comes: its own topics
 * (`<service>/…`, status and metrics included) and the shared ones the contract gives it
 * (conversation-state's `conversation/…` and commands, the dsp's `audio/input`…). The same
 * options as monitor, with the service's metrics shown.
 */
export function tail(args: string[]): Promise<number> {
  const service = args.find((arg) => !arg.startsWith('--'));
  if (service === undefined) throw new UsageError('voxbus tail: name the service to follow (voxbus status lists them)');
  const shared = new Set((SERVICE_PUBLISHES as Record<string, readonly string[]>)[service] ?? []);
  const prefix = `${service}/`;
  const isKnown = (KNOWN_SERVICES as readonly string[]).includes(service);
  const mine = (message: CliMessage) =>
    message.path.startsWith(prefix) ||
    (message.key !== undefined && shared.has(message.key) && !CONTRACT[message.key].path.startsWith('{service}')) ||
    // A service the contract does not know is followed by its own topics only.
    (!isKnown && message.params.service === service);
  return follow('tail', [...args, '--metrics'], mine);
}
