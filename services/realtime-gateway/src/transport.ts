import type { LinkState } from '@voxbus/shared';

/** The socket side as the gateway uses it (LinkConnection; an in-memory one in tests). */
export interface LinkTransport {
  readonly connected: boolean;
  start(): void;
  stop(): Promise<void>;
  send(text: string): boolean;
  reconnect(reason: string): void;
  disconnect(reason: string): Promise<void>;
}

/** What a transport reports: a new socket, each text frame, each state, a rotation due. */
export interface TransportEvents {
  readonly onOpen: () => void;
  readonly onMessage: (text: string) => void;
  readonly onState: (state: LinkState, reason: string | null, attempt: number) => void;
  readonly onRotationDue: () => void;
}
