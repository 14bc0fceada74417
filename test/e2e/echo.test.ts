import { type EchoOptions, speech } from '@voxbus/shared/testing';
import { describe, expect, it } from 'vitest';
import { type ConversationView, levelsBefore, listening, startBoardStack, type TurnReport, turnReport, whereItStood } from '../helpers/board-stack.js';
import { cleanupAfterEach } from '../helpers/cleanup.js';
import type { Probe } from '../helpers/probe.js';
import { waitFor } from '../helpers/wait.js';

const onCleanup = cleanupAfterEach();
const MIC_RATE_HZ = 48_000;

interface DspState {
  echo: { converged: boolean; erleDb: number | null; delayMs: number | null };
}
interface ItemEvent {
  kind: string;
  itemId: string;
  responseId: string;
  heardMs: number;
  receivedMs: number;
}
interface Status {
  status: string;
  pid: number;
}

const isItem = (e: ItemEvent) => !e.itemId.startsWith('earcon:');

/** Waits until the conversation has been listening, with nothing playing, for a second. */
async function settled(probe: Probe): Promise<void> {
  await waitFor('the conversation listening quietly', () => {
    const last = probe.messages.findLast((m) => m.topic === 'voxbus/conversation/state' || m.topic === 'voxbus/audio/output');
    const state = latest(probe);
    return state?.state === 'listening' && state.micOpen && last !== undefined && Date.now() - last.receivedAtMs > 1000 ? true : undefined;
  }, 60_000).catch((error: Error) => {
    // Say what kept it busy: the turns since, and where the conversation and the canceller stand.
    const outcomes = probe.on('voxbus/conversation/event/turn').slice(-12).map((m) => (m.json as { outcome: string }).outcome);
    throw new Error(`${error.message}; the last turns: ${outcomes.join(', ')}; ${whereItStood(probe, Math.max(0, probe.messages.length - 400))}`);
  });
}


/** The conversation's events in the `windowMs` up to `atMs` (VAD, states, responses, turns, echo delay), timed from `atMs`. */
function eventsBefore(probe: Probe, atMs: number, windowMs: number): string {
  const topics = ['realtime-gateway/event/vad', 'dsp/event/vad', 'conversation/state', 'realtime-gateway/event/response', 'conversation/event/turn'];
  return probe.messages
    .filter((m) => m.receivedAtMs > atMs - windowMs && m.receivedAtMs <= atMs && topics.some((t) => m.topic === `voxbus/${t}`))
    .map((m) => {
      const json = m.json as { kind?: string; state?: string; status?: string; outcome?: string };
      return `${m.topic.replace('voxbus/', '')} ${json.kind ?? json.state ?? ''}${json.status ? ` ${json.status}` : ''}${json.outcome ? ` ${json.outcome}` : ''} @${m.receivedAtMs - atMs}`;
    })
    .join(', ');
}

/** What the dsp logged of its echo path (delays found, kept, re-placements, gate openings, convergence) after `sinceMs`, timed from it. */
function dspEchoLog(lines: readonly string[], sinceMs: number): string {
  const said: string[] = [];
  for (const line of lines) {
    if (!line.startsWith('[dsp] {')) continue;
    let entry: { time?: string; msg?: string; [key: string]: unknown };
    try {
      entry = JSON.parse(line.slice('[dsp] '.length));
    } catch {
      continue;
    }
    const atMs = Date.parse(entry.time ?? '');
    if (!(atMs >= sinceMs) || !/echo|voice over/.test(entry.msg ?? '')) continue;
    const { level: _level, time: _time, service: _service, pid: _pid, version: _version, msg, ...figures } = entry;
    said.push(`${msg} ${JSON.stringify(figures)} @${atMs - sinceMs}`);
  }
  return said.length === 0 ? 'the dsp logged nothing of its echo path' : `the dsp: ${said.join('; ')}`;
}

function latest(probe: Probe): ConversationView | undefined {
  return probe.latest('voxbus/conversation/state')?.json as ConversationView | undefined;
}

describe("the whole conversation with the speaker's echo in the microphone, every service its own process", () => {
  it("full-duplex over a 40 ms, -6 dB echo path with a room's tail: 20 turns, the assistant never interrupts itself and every reply is heard to its end", async () => {
    // At info, the dsp logs what its echo path does: a failure says it.
    const { board, probe, runner } = await startBoardStack(onCleanup, { VOXBUS_CONVERSATION_STATE__MODE: 'full-duplex', VOXBUS_LOG__LEVEL: 'info' });
    await board.setEcho({ delayMs: 40, gainDb: -6, reverb: true });
    const questions = await Promise.all(['Hello there.', 'What time is it?', 'Turn on the lights.', 'How warm is it?'].map((text) => speech(text, MIC_RATE_HZ)));
    const start = probe.messages.length;
    const outcomes: string[] = [];
    for (let turn = 0; turn < 20; turn++) {
      const at = probe.messages.length;
      await board.speak(questions[turn % questions.length] as Buffer, MIC_RATE_HZ);
      const report = await turnReport(probe, at);
      outcomes.push(`${report.outcome} ${report.heardMs}/${report.receivedMs} ms`);
      if (report.outcome !== 'answered') {
        // What the model heard that was not a person: the first VAD start after the question ended.
        const stopped = probe.messages.findIndex((m, i) => i > at && m.topic === 'voxbus/realtime-gateway/event/vad' && (m.json as { kind: string }).kind === 'speech_stopped');
        const heard = probe.messages.findIndex((m, i) => i > stopped && m.topic === 'voxbus/realtime-gateway/event/vad' && (m.json as { kind: string }).kind === 'speech_started');
        const metrics = probe.on('voxbus/dsp/metrics').at(-1)?.json as { counters?: Record<string, number> } | undefined;
        const levels = heard > 0 ? levelsBefore(probe, heard) : 'no second VAD start';
        expect.fail(`turn ${turn + 1} of 20 was ${report.outcome}, not answered (${whereItStood(probe, at)}); ${levels}; dsp counters ${JSON.stringify(metrics?.counters)}; ${dspEchoLog(runner.lines, probe.messages[at]?.receivedAtMs ?? 0)}; so far: ${outcomes.join(', ')}`);
      }
      // Heard to its end: everything received was played.
      expect(Math.abs((report.heardMs ?? 0) - (report.receivedMs ?? -1)), `turn ${turn + 1}: heard ${report.heardMs} of ${report.receivedMs} ms`).toBeLessThan(25);
      await listening(probe, at);
    }
    const after = probe.messages.slice(start);
    const cancelled = after.filter((m) => m.topic === 'voxbus/realtime-gateway/event/response' && (m.json as { kind: string; status: string }).kind === 'done' && (m.json as { status: string }).status !== 'completed');
    expect(
      cancelled.map((m) => JSON.stringify(m.json)),
      `responses that did not complete (what led to each: ${cancelled.map((m) => eventsBefore(probe, m.receivedAtMs, 8000)).join(' | ')})`,
    ).toEqual([]);
    const flushes = after.filter((m) => m.topic === 'voxbus/playback/event/item' && (m.json as ItemEvent).kind === 'flushed' && isItem(m.json as ItemEvent));
    expect(flushes.map((m) => m.json), 'replies cut by a flush').toEqual([]);
  }, 240_000);

  it('auto mode over a 40 ms, -6 dB echo path: a second voice over each of 10 replies interrupts it (flushed, cancelled, truncated to what was heard)', async () => {
    const { board, probe, runner } = await startBoardStack(onCleanup, {
      VOXBUS_LOG__LEVEL: 'info',
      // A reply of about 4.5 s, streamed at 1.5 times real time, so it is still being sent when the person cuts in.
      VOXBUS_REALTIME_SIM__REALTIME_FACTOR: '1.5',
      VOXBUS_REALTIME_SIM__REPLY_TEMPLATE: 'You spoke for {seconds} seconds. Tomorrow will be sunny, with clouds later in the day.',
    });
    await board.setEcho({ delayMs: 40, gainDb: -6, reverb: true });
    const question = await speech('What is the weather?', MIC_RATE_HZ);
    const interruption = await speech('Wait a moment please', MIC_RATE_HZ);
    const results: string[] = [];
    for (let cycle = 0; cycle < 10; cycle++) {
      const at = probe.messages.length;
      await board.speak(question, MIC_RATE_HZ);
      // Two seconds in: in auto mode the first reply is still half-duplex for about 1.5 s.
      const playing = await probe.waitForJson<ItemEvent>('voxbus/playback/event/item', (e) => isItem(e) && e.kind === 'position' && e.heardMs > 2000, 20_000, at);
      const mode = (probe.latest('voxbus/conversation/state')?.json as ConversationView | undefined)?.mode ?? 'no state yet';
      // Replies cut before the person spoke over this one: the assistant heard itself.
      const selfInterrupted = probe.messages
        .slice(at)
        .filter((m) => m.topic === 'voxbus/conversation/event/turn' && (m.json as TurnReport).outcome === 'interrupted')
        .map((m) => `${(m.json as TurnReport).responseId} at ${(m.json as TurnReport).heardMs} ms`);
      const spokeAt = probe.messages.length;
      await board.speak(interruption, MIC_RATE_HZ);
      // The turn of the reply spoken over (not another turn since the question: a reply cut before).
      const report = await probe.waitForJson<TurnReport>('voxbus/conversation/event/turn', (t) => t.responseId === playing.responseId, 30_000, at);
      const cycleStartMs = probe.messages[at]?.receivedAtMs ?? 0;
      const before =
        selfInterrupted.length > 0
          ? `; before the second voice, replies cut with nobody speaking: ${selfInterrupted.join(', ')} (${eventsBefore(probe, probe.messages[spokeAt - 1]?.receivedAtMs ?? 0, 20_000)}; ${dspEchoLog(runner.lines, cycleStartMs)})`
          : '';
      if (report.outcome !== 'interrupted') {
        results.push(`cycle ${cycle + 1}: ${report.outcome} in ${mode} (${whereItStood(probe, spokeAt)}; ${dspEchoLog(runner.lines, cycleStartMs)})${before}`);
      } else {
        const flushed = await probe.waitForJson<ItemEvent>('voxbus/playback/event/item', (e) => e.kind === 'flushed' && e.itemId === playing.itemId, 5000, at).catch((error) => {
          const items = probe.messages.slice(at).filter((m) => m.topic === 'voxbus/playback/event/item' && (m.json as ItemEvent).kind !== 'position').map((m) => m.payload.toString());
          throw new Error(`cycle ${cycle + 1}: interrupted, but playback never said it flushed ${playing.itemId}: ${error}\n${items.join('\n')}\n${JSON.stringify(report)}`);
        });
        const truncated = await probe.waitForJson<{ item_id: string; audio_end_ms: number }>('voxbus/realtime-gateway/event/raw/conversation.item.truncated', (t) => t.item_id === playing.itemId, 5000, at);
        const done = await probe.waitForJson<{ kind: string; status: string; responseId: string }>('voxbus/realtime-gateway/event/response', (r) => r.kind === 'done' && r.responseId === playing.responseId, 5000, at);
        const cut = Math.min(flushed.heardMs, flushed.receivedMs);
        results.push(`cycle ${cycle + 1}: interrupted in ${mode}, ${done.status}, truncated at ${truncated.audio_end_ms} of ${cut} heard${before}`);
        expect(done.status, results.at(-1)).toBe('cancelled');
        expect(truncated.audio_end_ms, results.at(-1)).toBe(cut);
      }
      // The interruption is a turn of its own (the person may go on talking over its answer too):
      // the next cycle starts once the conversation has been listening, quietly, for a while.
      await settled(probe);
    }
    const interrupted = results.filter((line) => line.includes(': interrupted'));
    expect(interrupted.length, results.join('\n')).toBeGreaterThanOrEqual(9);
  }, 300_000);

  it('auto mode reaches full-duplex within 3 s of the first reply on every echo path (20, 40, 120 ms × 0, -6, -12 dB), from a stereo microphone, and says so on dsp/state', async () => {
    const { board, probe, runner } = await startBoardStack(onCleanup, {
      // At info, the dsp logs what its echo path does: a path that never converged says why.
      VOXBUS_LOG__LEVEL: 'info',
      // A stereo capture (as a board's codec that records only stereo gives): the dsp downmixes.
      VOXBUS_AUDIO_CAPTURE__CHANNELS: '2',
      VOXBUS_CONVERSATION_STATE__EARCONS__LISTENING: 'false',
      VOXBUS_REALTIME_SIM__REPLY_TEMPLATE: 'You said: {text}. Here is a longer answer, so that the echo canceller has a few seconds of speech to learn the room from.',
    });
    const results: string[] = [];
    for (const delayMs of [20, 40, 120]) {
      for (const gainDb of [0, -6, -12]) {
        const echo: EchoOptions = { delayMs, gainDb };
        await board.setEcho(echo);
        // A fresh canceller for each path: the dsp is killed and the run command restarts it.
        const at = probe.messages.length;
        // The conversation can listen before the dsp is up: wait for it.
        await probe.waitForJson<Status>('voxbus/dsp/status', (s) => s.status === 'online', 30_000);
        const dsp = (probe.on('voxbus/dsp/status').filter((m) => (m.json as Status).status === 'online').at(-1)?.json as Status | undefined)?.pid;
        if (dsp === undefined) throw new Error('no voxbus/dsp/status online with a pid');
        process.kill(dsp, 'SIGKILL');
        await probe.waitForJson<Status>('voxbus/dsp/status', (s) => s.status === 'online' && s.pid !== dsp, 30_000, at);
        await waitFor('half-duplex and listening after the dsp restarted', () => {
          const state = latest(probe);
          return state?.state === 'listening' && state.mode === 'half-duplex' ? state : undefined;
        }, 10_000);
        const asked = probe.messages.length;
        await probe.publish('voxbus/realtime-gateway/cmd/say', JSON.stringify({ text: `the echo path of ${delayMs} ms at ${gainDb} dB` }));
        await probe.waitForJson<ItemEvent>('voxbus/playback/event/item', (e) => isItem(e) && e.kind === 'started', 20_000, asked);
        const heardAtMs = (probe.messages.slice(asked).find((m) => m.topic === 'voxbus/playback/event/item' && (m.json as ItemEvent).kind === 'started')?.receivedAtMs ?? 0);
        const full = await probe
          .waitForJson<ConversationView>('voxbus/conversation/state', (s) => s.mode === 'full-duplex', 8000, asked)
          .then(() => probe.messages.slice(asked).find((m) => m.topic === 'voxbus/conversation/state' && (m.json as ConversationView).mode === 'full-duplex'))
          .catch(() => undefined);
        const dspState = probe.messages.slice(asked).filter((m) => m.topic === 'voxbus/dsp/state').map((m) => (m.json as DspState).echo);
        const convergedAfterMs = full === undefined ? null : full.receivedAtMs - heardAtMs;
        // Never full-duplex: what kept the canceller from converging (its reference doubted, missing, moved).
        const metrics = probe.messages.slice(asked).findLast((m) => m.topic === 'voxbus/dsp/metrics')?.json as { counters?: object; gauges?: object } | undefined;
        const why = convergedAfterMs === null ? `; dsp counters ${JSON.stringify(metrics?.counters)}, gauges ${JSON.stringify(metrics?.gauges)}; ${dspEchoLog(runner.lines, heardAtMs)}` : '';
        results.push(`${delayMs} ms ${gainDb} dB: ${convergedAfterMs === null ? 'never full-duplex' : `full-duplex after ${convergedAfterMs} ms`}, dsp ${JSON.stringify(dspState.at(-1))}${why}`);
        await listening(probe, asked, 30_000);
      }
    }
    const slow = results.filter((line) => !/full-duplex after \d+ ms/.test(line) || Number(/after (\d+) ms/.exec(line)?.[1]) > 3000);
    expect(slow, results.join('\n')).toEqual([]);
    // The dsp said it on its retained state: converged, the delay it found, the ERLE it measures.
    expect(probe.on('voxbus/dsp/state').some((m) => (m.json as { input: { channels: number } | null }).input?.channels === 2)).toBe(true);
    const states = probe.on('voxbus/dsp/state').map((m) => (m.json as DspState).echo);
    expect(states.some((e) => e.converged && e.delayMs !== null && (e.erleDb ?? 0) >= 20)).toBe(true);
  }, 300_000);
});
