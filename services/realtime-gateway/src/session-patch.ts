/**
 * The session settings commands changed (update-session), kept and applied again to every new
 * session — unless the realtime service refused them. A patch the contract accepts can still be
 * one the service will not take (an unknown field: the service refuses the whole session.update,
 * and every later one that carries it); kept, it broke every later update of the session until a
 * restart. So each patch goes out with its own event id, and an error naming that id puts the
 * settings back as they were. A patch nested deeper than any session setting is refused before
 * anything (thousands of levels overflowed the stack on every later update).
 */
export const MAX_PATCH_DEPTH = 12;

type Json = Record<string, unknown>;

export class SessionPatch {
  private settings: Json = {};
  /** The last patch sent: its event id, and the settings before it. */
  private pending: { readonly eventId: string; readonly before: Json } | undefined;
  private sent = 0;

  /** What commands have set, to merge into every session.update. */
  get current(): Json {
    return this.settings;
  }

  /**
   * Merges `patch` in; returns the event id its session.update must carry, or why it is
   * refused (then nothing changes).
   */
  apply(patch: Json): { eventId: string } | { refused: string } {
    const depth = depthOf(patch, MAX_PATCH_DEPTH + 1);
    if (depth > MAX_PATCH_DEPTH) return { refused: `nested over ${MAX_PATCH_DEPTH} levels deep: no session setting is` };
    const eventId = `voxbus_session_patch_${++this.sent}`;
    this.pending = { eventId, before: this.settings };
    this.settings = { ...this.settings, ...patch };
    return { eventId };
  }

  /** The service refused the client event `eventId`: true when it was the last patch (now undone). */
  refused(eventId: string): boolean {
    if (this.pending?.eventId !== eventId) return false;
    this.settings = this.pending.before;
    this.pending = undefined;
    return true;
  }
}

/** How deeply `value` nests (a scalar is 0), counted no further than `limit`. */
function depthOf(value: unknown, limit: number): number {
  if (limit <= 0 || value === null || typeof value !== 'object') return 0;
  let deepest = 0;
  for (const child of Object.values(value as object)) {
    deepest = Math.max(deepest, depthOf(child, limit - 1));
    if (deepest >= limit - 1) break;
  }
  return 1 + deepest;
}
