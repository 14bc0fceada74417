import { type AudioFrame, decodeAudioFrame } from '@voxbus/shared';
import { bestMatch, loudSpans, playedUntil, rms, samples, speech } from '@voxbus/shared/testing';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { PNG } from 'pngjs';
import { describe, expect, it } from 'vitest';
import { eventsFromBus, showsEventually } from '../../services/lcd/test/screen-match.js';
import { ALL_SERVICES, type ConversationView, listening, startBoardStack, stateSequence, turnReport, whereItStood } from '../helpers/board-stack.js';
import { cleanupAfterEach } from '../helpers/cleanup.js';
import type { Probe } from '../helpers/probe.js';

const onCleanup = cleanupAfterEach();
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const RATE_HZ = 24_000;

/**
 * Every service its own process (the default), all inside the runner's one (VOXBUS_MODE=all-in-one),
 * or Mosquitto as the broker in place of the broker service (VOXBUS_BROKER=mosquitto).
 */
const MODES = [
  ['every service its own process', {}],
  ['all in one process', { VOXBUS_MODE: 'all-in-one' }],
  ['Mosquitto as the broker', { VOXBUS_BROKER: 'mosquitto' }],
] as const;

/**
 * A voice over a long reply in full-duplex: it must be interrupted (flushed, cancelled), truncated to
 * what the speaker really played (within 100 ms, by the recording), and the speaker silent at once.
 */
async function expectBargeIn(env: Record<string, string>): Promise<{ probe: Probe; start: number }> {
  const { board, probe } = await startBoardStack(onCleanup, {
    ...env,
    VOXBUS_CONVERSATION_STATE__MODE: 'full-duplex',
    // A long reply, streamed at twice real time (a real model's lead is larger), so it is still
    // being sent when the person cuts in.
    VOXBUS_REALTIME_SIM__REALTIME_FACTOR: '2',
    VOXBUS_REALTIME_SIM__REPLY_TEMPLATE:
      'You spoke for {seconds} seconds. Tomorrow will be mostly sunny in the morning, with clouds building in the afternoon and a chance of showers in the evening.',
  });
  const question = await speech('What will the weather be like tomorrow?', 48_000);
  const interruption = await speech('Stop, stop. Thank you.', 48_000);
  const recorder = board.recordSpeaker(RATE_HZ);
  const recordingFrom = Date.now();
  const start = probe.messages.length;
  await board.speak(question, 48_000);
  const started = await probe.waitForJson<{ kind: string; itemId: string; heardMs: number }>(
    'voxbus/playback/event/item',
    (e) => e.kind === 'position' && !e.itemId.startsWith('earcon:') && e.heardMs > 1500,
    20_000,
    start,
  );
  await board.speak(interruption, 48_000);
  const report = await turnReport(probe, start);
  await sleep(1500);
  const { pcm } = await recorder.stop();

  expect(report.outcome, `the voice over the reply (${whereItStood(probe, start)})`).toBe('interrupted');
  expect(report.turn).toBe(1);
  const done = await probe.waitForJson<{ kind: string; status: string }>('voxbus/realtime-gateway/event/response', (r) => r.kind === 'done', 5000, start);
  expect(done.status).toBe('cancelled');
  const truncated = await probe.waitForJson<{ item_id: string; audio_end_ms: number }>('voxbus/realtime-gateway/event/raw/conversation.item.truncated', () => true, 5000, start);
  expect(truncated.item_id).toBe(started.itemId);

  // What the speaker actually played of the reply: where the recording stops following it.
  const reply = samples(
    Buffer.concat(
      probe.messages
        .slice(start)
        .filter((m) => m.topic === 'voxbus/audio/output')
        .map((m) => decodeAudioFrame(m.payload))
        .filter((f: AudioFrame) => f.item?.itemId === started.itemId)
        .map((f) => Buffer.from(f.pcm)),
    ),
  );
  const heard = samples(pcm);
  // The reply to the interruption starts with the same words ("You spoke for"): the recording is
  // searched for this reply only before the next one's first frame arrived (less 100 ms for the
  // recorder's start), or the walk may start on the next reply and stop where the two differ.
  const next = probe.messages.slice(start).find((m) => {
    const itemId = m.topic === 'voxbus/audio/output' ? decodeAudioFrame(m.payload).item?.itemId : undefined;
    return itemId !== undefined && !itemId.startsWith('earcon:') && itemId !== started.itemId;
  });
  const searchEndSample = next === undefined ? heard.length : Math.max(0, Math.round(((next.receivedAtMs - recordingFrom - 100) * RATE_HZ) / 1000));
  // Found by its first 250 ms (by their best normalised match: a longer opening may straddle an underrun).
  const lag = bestMatch(reply.subarray(0, RATE_HZ / 4), heard.subarray(0, searchEndSample))?.lagSamples ?? 0;
  const { playedMs, soundedMs, cutAt } = playedUntil(reply, heard, lag, RATE_HZ, { searchEndSample });
  const flushed = probe.messages
    .slice(start)
    .filter((m) => m.topic === 'voxbus/playback/event/item')
    .map((m) => m.json as { kind: string; heardMs?: number })
    .find((e) => e.kind === 'flushed');
  const msAt = (sample: number) => Math.round((sample * 1000) / RATE_HZ);
  const soundMs = loudSpans(heard, 0.02, RATE_HZ / 10).map(([from, to]) => `${msAt(from)}-${msAt(to)}`);
  // A cut in a pause of the reply's own (between sentences) may be anywhere in it: the recording
  // says only that the reply sounded to `soundedMs` and was silent from there to `playedMs`.
  const offMs = Math.max(0, soundedMs - truncated.audio_end_ms, truncated.audio_end_ms - playedMs);
  expect(
    offMs,
    `truncated at ${truncated.audio_end_ms} ms, playback flushed at ${flushed?.heardMs} ms, the speaker recording shows ${soundedMs} ms of the reply's sound played, cut from there to ${playedMs} ms ` +
      `(${msAt(heard.length)} ms recorded in ${Date.now() - recordingFrom} ms; sound at ${soundMs.join(', ')} ms of it; ` +
      `the reply ${msAt(reply.length)} ms long, found at ${msAt(lag)} ms; the next reply arrived at ${msAt(searchEndSample)} ms)`,
  ).toBeLessThan(100);
  // Silenced at once: after the cut, nothing from the speaker until the next reply begins.
  expect(rms(heard.subarray(cutAt + RATE_HZ / 20, cutAt + RATE_HZ / 4))).toBeLessThan(0.002);
  expect(report.latencyMs).toBeDefined();
  return { probe, start };
}

describe.each(MODES)('the whole conversation on the virtual board, %s', (modeName, modeEnv) => {
  it('answers a spoken question: the reply is heard on the speaker, with transcripts and the state sequence on the bus, and the lcd shows them', async () => {
    const pngPath = join(mkdtempSync(join(tmpdir(), 'voxbus-e2e-lcd-')), 'screen.png');
    onCleanup(() => rmSync(dirname(pngPath), { recursive: true, force: true }));
    const { board, probe, runner } = await startBoardStack(onCleanup, { ...modeEnv, VOXBUS_LCD__FRAMEBUFFER__DEVICE: '', VOXBUS_LCD__PNG__PATH: pngPath }, ['lcd']);
    expect(runner.lines.some((line) => /\[runner\] starting mosquitto,/.test(line)), 'Mosquitto started in place of the broker service').toBe('VOXBUS_BROKER' in modeEnv);
    // Each service says which process it is: one for all of them in all-in-one mode, one each otherwise.
    // Mosquitto publishes no voxbus status of its own (its $SYS topics instead).
    const named = [...ALL_SERVICES, 'lcd'].filter((name) => !('VOXBUS_BROKER' in modeEnv && name === 'broker'));
    const statuses = await Promise.all(named.map((name) => probe.waitForJson<{ status: string; pid: number }>(`voxbus/${name}/status`, (s) => s.status === 'online', 15_000)));
    expect(new Set(statuses.map((s) => s.pid)).size, `processes, ${modeName}`).toBe('VOXBUS_MODE' in modeEnv ? 1 : named.length);
    const question = await speech('What will the weather be like tomorrow?', 48_000);
    const recorder = board.recordSpeaker(RATE_HZ);
    const start = probe.messages.length;
    await board.speak(question, 48_000);
    const report = await turnReport(probe, start);
    await listening(probe, start);
    await sleep(300);
    const { pcm } = await recorder.stop();

    expect(report).toMatchObject({ turn: 1, outcome: 'answered' });
    expect(stateSequence(probe, start)).toEqual(['userSpeaking', 'waiting', 'assistantSpeaking', 'listening']);
    const transcripts = probe.messages.slice(start).filter((m) => m.topic === 'voxbus/realtime-gateway/event/transcript' && (m.json as { kind: string }).kind === 'final');
    const byRole = Object.fromEntries(transcripts.map((m) => [(m.json as { role: string }).role, (m.json as { text: string }).text]));
    expect(byRole.user).toMatch(/s of speech/);
    expect(byRole.assistant).toMatch(/^You spoke for \d+\.\d seconds\.$/);
    // The reply as the model sent it, and the speaker playing it whole.
    const sent = probe.messages.slice(start).filter((m) => m.topic === 'voxbus/audio/output').map((m) => decodeAudioFrame(m.payload));
    const sentMs = (sent.reduce((sum, f) => sum + f.pcm.length, 0) / 2 / RATE_HZ) * 1000;
    expect(Math.abs((report.heardMs ?? 0) - sentMs)).toBeLessThan(25);
    const spans = loudSpans(samples(pcm), 0.02, RATE_HZ / 2);
    const longest = Math.max(...spans.map(([from, to]) => ((to - from) * 1000) / RATE_HZ));
    expect(longest).toBeGreaterThan(sentMs * 0.7);
    expect(report.latencyMs.speechStoppedToHeard).toBeGreaterThan(0);
    // The screen: listening again, both transcripts, every service online, as drawn from what
    // went over the bus (the meter moves with the room, so it is left out).
    const screen = () => (existsSync(pngPath) ? PNG.sync.read(readFileSync(pngPath)) : undefined);
    await showsEventually('the lcd showing the turn', screen, () => eventsFromBus(probe.messages), { ignore: ['meter'] });
  }, 60_000);

  // The echo path is the dsp's business, the same in either mode: run once.
  it.runIf(modeName === MODES[0][0])('half-duplex with the acoustic echo path on: ten turns in a row, and the assistant never interrupts itself', async () => {
    const { board, probe } = await startBoardStack(onCleanup, { VOXBUS_CONVERSATION_STATE__MODE: 'half-duplex' });
    await board.setEcho({ delayMs: 40 });
    const questions = await Promise.all(
      ['Hello there.', 'What time is it?', 'Turn on the lights.', 'How warm is it outside?', 'Play some music.'].map((text) => speech(text, 48_000)),
    );
    const start = probe.messages.length;
    for (let turn = 0; turn < 10; turn++) {
      const at = probe.messages.length;
      await board.speak(questions[turn % questions.length] as Buffer, 48_000);
      const report = await turnReport(probe, at);
      expect(report.outcome, `turn ${turn + 1}`).toBe('answered');
      await listening(probe, at);
    }
    // Walk the bus in order: while the assistant spoke (its tail included), no speech was heard.
    let state = 'listening';
    const heardWhileSpeaking: string[] = [];
    for (const message of probe.messages.slice(start)) {
      if (message.topic === 'voxbus/conversation/state') state = (message.json as ConversationView).state;
      else if (message.topic === 'voxbus/realtime-gateway/event/vad' && state === 'assistantSpeaking') heardWhileSpeaking.push((message.json as { kind: string }).kind);
    }
    expect(heardWhileSpeaking).toEqual([]);
    const responses = probe.messages.slice(start).filter((m) => m.topic === 'voxbus/realtime-gateway/event/response' && (m.json as { kind: string }).kind === 'done');
    expect(responses.map((m) => (m.json as { status: string }).status)).toEqual(Array(10).fill('completed'));
    const reports = probe.messages.slice(start).filter((m) => m.topic === 'voxbus/conversation/event/turn');
    expect(reports.map((m) => (m.json as { outcome: string }).outcome)).toEqual(Array(10).fill('answered'));
  }, 150_000);

  it('full-duplex barge-in: a voice over the reply silences the speaker, cancels the response and truncates it to what was heard', async () => {
    await expectBargeIn(modeEnv);
  }, 60_000);
});

describe('the whole conversation on the virtual board, the dsp\'s VAD taking turns', () => {
  it('full-duplex barge-in: the reply is held as the voice begins (voice_onset), then cut and truncated to what was heard', async () => {
    const { probe, start } = await expectBargeIn({ VOXBUS_CONVERSATION_STATE__VAD: 'local' });
    // The hold came from the voice's onset, before the dsp had heard its minimum of speech.
    const after = probe.messages.slice(start);
    const flushedAt = after.findIndex((m) => m.topic === 'voxbus/playback/cmd/flush');
    const pausedAt = after.findIndex((m) => m.topic === 'voxbus/playback/cmd/pause');
    const vad = after.filter((m) => m.topic === 'voxbus/dsp/event/vad').map((m) => `${(m.json as { kind: string }).kind}@${m.receivedAtMs}`);
    expect(pausedAt, `pause and flush on the bus; the dsp's VAD said ${vad.join(', ')}`).toBeGreaterThanOrEqual(0);
    expect(pausedAt).toBeLessThan(flushedAt);
    const paused = after[pausedAt];
    const onsetBefore = after.slice(0, pausedAt).findLast((m) => m.topic === 'voxbus/dsp/event/vad');
    expect((onsetBefore?.json as { kind: string } | undefined)?.kind, `what the dsp said last before the pause at ${paused?.receivedAtMs}: ${vad.join(', ')}`).toBe('voice_onset');
  }, 60_000);
});
