/** The `error` object of a realtime `error` event (wire form: `{type:"error", event_id, error}`). */
export interface RealtimeError {
  readonly type: 'invalid_request_error' | 'server_error';
  readonly code: string | null;
  readonly message: string;
  readonly param: string | null;
  /** The client event_id that caused it, when it had one. */
  readonly event_id?: string | null;
}

export const invalidRequest = (code: string | null, message: string, param: string | null = null): RealtimeError => ({
  type: 'invalid_request_error',
  code,
  message,
  param,
});
