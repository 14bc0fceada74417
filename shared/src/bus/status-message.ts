import type { Static } from '@sinclair/typebox';
import { CONTRACT } from '../contract/contract.js';
import { encodeMessage } from '../contract/message-codec.js';
import type { ServiceStatus } from '../contract/schemas.js';
import { buildTopic } from '../contract/topic-path.js';

/** Who a service is, as its status topic says it (everything but whether it runs and why). */
export type StatusIdentity = Omit<Static<typeof ServiceStatus>, 'status' | 'reason'>;

export type StatusReason = Static<typeof ServiceStatus>['reason'];

const STATUS = CONTRACT['service.status'];

/** The topic a service's status is retained on. */
export function statusTopic(baseTopic: string, identity: StatusIdentity): string {
  return buildTopic(baseTopic, STATUS, { service: identity.service });
}

/** A status message as the contract has it. */
export function statusBytes(identity: StatusIdentity, status: 'online' | 'offline', reason: StatusReason): Buffer {
  return encodeMessage(STATUS, { status, reason, ...identity });
}
