import { type AudioFrame, frameDurationMs } from '../audio/frame-codec.js';
import type { BusObserver, SeenMessage } from './observer.js';
import type { Verdicts } from './report.js';

/** The rules every service's kit judges the same way: its status, describe, metrics, valid messages. */

export async function judgeOnline(bus: BusObserver, verdicts: Verdicts, service: string, timeoutMs: number): Promise<boolean> {
  const status = await bus.waitFor('service.status', (s) => s.status === 'online', timeoutMs, 0, { service });
  // A live message does not say whether it was published retained: ask the broker what it keeps.
  const kept = (await bus.retainedNow(`${bus.baseTopic}/${service}/status`)) as { status: string; reason: string } | undefined;
  return verdicts.judge(
    'status.online',
    status !== undefined && kept?.status === 'online' && kept.reason === 'running',
    status === undefined
      ? `no ${service}/status online within ${timeoutMs} ms (last: ${JSON.stringify(bus.select('service.status', 0, { service }).at(-1)?.payload ?? null)})`
      : `online; the broker keeps ${kept ? `${kept.status}/${kept.reason}` : 'nothing'} retained (online/running wanted)`,
  );
}

export async function judgeDescribe(bus: BusObserver, verdicts: Verdicts, service: string, requestId: string): Promise<boolean> {
  const asked = bus.mark;
  await bus.publish('service.describe.req', { service }, { requestId });
  const answer = await bus.waitFor('service.describe.res', (r) => r.requestId === requestId, 3000, asked, { service });
  return verdicts.judge(
    'describe.answers',
    answer?.payload.ok === true,
    answer === undefined
      ? `no ${service}/res/describe with the request id within 3000 ms`
      : answer.payload.ok
        ? `version ${answer.payload.data.version}, config sections ${Object.keys(answer.payload.data.config).join(', ')}`
        : `answered an error: ${answer.payload.error.code} ${answer.payload.error.message}`,
  );
}

/** A stream's frames between two marks: their total length, sequence gaps, and time jumps over 5 ms. */
export function streamContinuity(frames: readonly (SeenMessage & { payload: AudioFrame })[]): { ms: number; gaps: number; jumps: number } {
  let gaps = 0;
  let jumps = 0;
  for (let i = 1; i < frames.length; i++) {
    const before = (frames[i - 1] as { payload: AudioFrame }).payload;
    const now = (frames[i] as { payload: AudioFrame }).payload;
    if (now.sequence !== ((before.sequence + 1) >>> 0)) gaps++;
    else if (Math.abs(now.captureTimeUs - before.captureTimeUs - frameDurationMs(before) * 1000) > 5000) jumps++;
  }
  return { ms: Math.round(frames.reduce((sum, m) => sum + frameDurationMs(m.payload), 0)), gaps, jumps };
}

/**
 * Judged however far the scenarios got (an invalid state is often why they stopped early):
 * metrics published, and nothing the service published on `ownTopics` invalid.
 */
export async function judgeClosingRules(
  bus: BusObserver,
  verdicts: Verdicts,
  service: string,
  ownTopic: (topic: string) => boolean,
  metricsTimeoutMs: number,
): Promise<void> {
  const metrics = await bus.waitFor('service.metrics', () => true, metricsTimeoutMs, 0, { service });
  verdicts.judge(
    'metrics.published',
    metrics !== undefined,
    metrics === undefined
      ? `no valid ${service}/metrics within ${metricsTimeoutMs} ms`
      : `uptime ${Math.round(metrics.payload.uptimeMs / 1000)} s, ${Object.keys(metrics.payload.counters).length} counters`,
  );
  const broken = bus.invalid.filter((m) => ownTopic(m.topic));
  verdicts.judge(
    'messages.valid',
    broken.length === 0,
    broken.length === 0
      ? `${bus.messages.filter((m) => ownTopic(m.topic)).length} messages from ${service}, all valid`
      : `${broken.length} invalid: ${[...new Set(broken.map((m) => `${m.topic}: ${m.error}`))].slice(0, 3).join(' | ')}`,
  );
}

/** A broker publishes a Last Will as soon as the connection drops: a killed process's socket closes at once. */
const LAST_WILL_TIMEOUT_MS = 3000;

/**
 * Kills the service (SIGKILL, the pid of its newest `online` status: the kit must run where the
 * service runs, in the same process namespace) and judges what the broker then says for it: its
 * Last Will, `offline`/`connection_lost`, retained so a monitor that connects later still sees it.
 * Whatever supervises the service starts it again.
 */
export async function judgeLastWill(bus: BusObserver, verdicts: Verdicts, service: string, timeoutMs: number): Promise<void> {
  const judge = (ok: boolean, evidence: string) => verdicts.judge('status.last-will', ok, evidence);
  const online = await bus.waitFor('service.status', (s) => s.status === 'online', timeoutMs, 0, { service });
  if (!online) return void judge(false, `no ${service}/status online within ${timeoutMs} ms to take a pid from`);
  const { pid } = online.payload;
  const killedFrom = bus.mark;
  try {
    process.kill(pid, 'SIGKILL');
  } catch (error) {
    return void judge(false, `could not kill pid ${pid} (from ${service}/status): ${(error as NodeJS.ErrnoException).code ?? error} — run the kit where the service runs (the same machine and container), or leave --kill out`);
  }
  const will = await bus.waitFor('service.status', (s) => s.status === 'offline', LAST_WILL_TIMEOUT_MS, killedFrom, { service });
  // Asked at once: a supervisor takes longer than a round trip to the broker to bring it back.
  const kept = will ? ((await bus.retainedNow(`${bus.baseTopic}/${service}/status`)) as { status: string; reason: string; pid: number } | undefined) : undefined;
  judge(
    will?.payload.reason === 'connection_lost' && kept?.status === 'offline' && kept.reason === 'connection_lost',
    will === undefined
      ? `killed pid ${pid}; no ${service}/status offline within ${LAST_WILL_TIMEOUT_MS} ms (a Last Will of offline/connection_lost, retained, wanted)`
      : `killed pid ${pid}; the broker said offline/${will.payload.reason} and keeps ${kept ? `${kept.status}/${kept.reason}` : 'nothing'} retained (offline/connection_lost wanted for both)`,
  );
}
