import { type Clock, type Logger, type MetricsRegistry, RateLimitedLog, type TimerHandle } from '@voxbus/shared';
import type { FunctionCallDone } from './server-events.js';

/** A call's output, ready to go back to the service. */
export interface ToolOutput {
  readonly callId: string;
  readonly output: string;
}

interface PendingCall {
  readonly name: string;
  readonly responseId: string;
  output?: string;
  readonly timer: TimerHandle;
}

export interface ToolCallsOptions {
  readonly clock: Clock;
  readonly log: Logger;
  readonly metrics: MetricsRegistry;
  readonly timeoutMs: number;
  /** Asks whoever implements the tool (the bus). */
  readonly request: (callId: string, name: string, argumentsJson: string) => void;
  /** Called when an output is ready (answered, or timed out with an error result). */
  readonly onReady: () => void;
}

/**
 * The model's function calls of one session: asked on the bus, answered (or given an error
 * result after `timeoutMs`), and handed back once the response that made them is done. A new
 * session starts with none: an old call_id is unknown to it.
 */
export class ToolCalls {
  private readonly calls = new Map<string, PendingCall>();
  /** Function names by item id: beta's arguments.done leaves the name out, its item has it. */
  private readonly names = new Map<string, string>();
  private readonly timedOut;
  private readonly answersDropped;
  /** Any client can publish tool answers: a dropped one is logged once per 10 s (counted always). */
  private readonly dropLog: RateLimitedLog;

  constructor(private readonly o: ToolCallsOptions) {
    this.dropLog = new RateLimitedLog(o.log, 10_000, () => o.clock.monotonicUs() / 1000);
    this.timedOut = o.metrics.counter('tools.timedOut');
    this.answersDropped = o.metrics.counter('tools.answersDropped');
  }

  /** Calls asked and not yet handed back. */
  get open(): number {
    return this.calls.size;
  }

  /** A function_call item was added (`response.output_item.added`). */
  named(itemId: string, name: string): void {
    this.names.set(itemId, name);
  }

  /** The model called a tool (`response.function_call_arguments.done`). */
  called(call: FunctionCallDone): void {
    const { call_id: callId, response_id: responseId, arguments: argumentsJson } = call;
    const name = call.name ?? this.names.get(call.item_id);
    this.names.delete(call.item_id);
    if (!name) {
      this.o.log.error({ callId, itemId: call.item_id }, 'tool call without a function name (neither in the event nor in its item): not asked');
      return;
    }
    if (this.calls.has(callId)) return;
    const timer = this.o.clock.setTimer(`tool ${name}`, this.o.timeoutMs, () => {
      this.timedOut.inc();
      this.o.log.warn({ name, callId, timeoutMs: this.o.timeoutMs }, 'tool call not answered in time');
      this.answer(callId, JSON.stringify({ error: `the tool ${name} did not answer within ${this.o.timeoutMs} ms` }));
    });
    this.calls.set(callId, { name, responseId, timer });
    this.o.request(callId, name, argumentsJson);
  }

  /** The answer to a call, from the bus; an unknown or already answered call is dropped, counted. */
  answer(callId: string, output: string): void {
    const call = this.calls.get(callId);
    if (!call || call.output !== undefined) {
      this.answersDropped.inc();
      this.dropLog.info('answer dropped', { callId }, 'tool answer dropped: no such call in this session (answered twice, or its session ended)');
      return;
    }
    call.timer.cancel();
    call.output = output;
    this.o.onReady();
  }

  /** A failed response does not continue a tool loop: its calls are forgotten. */
  responseFailed(responseId: string): void {
    for (const [callId, call] of this.calls) if (call.responseId === responseId) this.forget(callId);
  }

  /** Takes the answered calls whose response is no longer running (a response.create during it would collide). */
  takeReady(activeResponseId: string | undefined): ToolOutput[] {
    const ready: ToolOutput[] = [];
    for (const [callId, call] of this.calls) {
      if (call.output === undefined || call.responseId === activeResponseId) continue;
      ready.push({ callId, output: call.output });
      this.calls.delete(callId);
    }
    return ready;
  }

  /** The session ended: its calls can no longer be answered. */
  clear(): void {
    this.names.clear();
    for (const callId of [...this.calls.keys()]) this.forget(callId);
  }

  private forget(callId: string): void {
    this.calls.get(callId)?.timer.cancel();
    this.calls.delete(callId);
  }
}
