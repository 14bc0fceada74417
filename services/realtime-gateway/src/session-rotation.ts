import type { Clock, Logger, TimerHandle } from '@voxbus/shared';

export interface SessionRotationOptions {
  readonly clock: Clock;
  readonly log: Logger;
  /** How long a due rotation may wait for a quiet moment before it happens anyway. */
  readonly graceMs: number;
  /** Nothing is being said: no response running, the user not mid-sentence, no tool call open. */
  readonly quiet: () => boolean;
  readonly rotate: (reason: string) => void;
}

/**
 * A fresh session before the service's cap, at a quiet moment: never mid-reply or while the user
 * speaks. Due (the connection's timer) → waits for the conversation to fall quiet (checked when a
 * reply ends or the user stops) → rotates; when no quiet moment comes within `graceMs`, rotates
 * anyway, since the service would end the session itself at its cap.
 */
export class SessionRotation {
  private deadline: TimerHandle | undefined;

  constructor(private readonly o: SessionRotationOptions) {}

  get pending(): boolean {
    return this.deadline !== undefined;
  }

  due(): void {
    if (this.pending) return;
    this.deadline = this.o.clock.setTimer('rotation-grace', this.o.graceMs, () => this.now(`no quiet moment within ${this.o.graceMs} ms: rotating anyway before the cap`));
    if (this.o.quiet()) this.now('session rotation before the service cap, at a quiet moment');
    else this.o.log.info({ graceMs: this.o.graceMs }, 'session rotation due: waiting for a quiet moment');
  }

  /** The conversation may have fallen quiet (a reply ended, the user stopped). */
  check(): void {
    if (this.pending && this.o.quiet()) this.now('session rotation before the service cap, at a quiet moment');
  }

  /** The session ended some other way (a drop, a command): nothing is due any more. */
  cancel(): void {
    this.deadline?.cancel();
    this.deadline = undefined;
  }

  private now(reason: string): void {
    this.cancel();
    this.o.log.info({ reason }, 'rotating the realtime session');
    this.o.rotate(reason);
  }
}
