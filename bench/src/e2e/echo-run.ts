import { appendFileSync } from 'node:fs';
import { type ChildProcess, spawn } from 'node:child_process';
import { decodeAudioFrame } from '@voxbus/shared';
import { samples, type VirtualBoard } from '@voxbus/shared/testing';
import { percentiles, round3 } from '../lib/stats.js';
import { holdSummary, type Message, MIC_RATE_HZ, nowUs, RATE_HZ, replyAudio, silencedAtUs, sleep, spansUs, type Stack, startStack, summary, voiceOnsetUs } from './stack.js';

/** The board's echo path for this run: a speaker a few cm from the microphone, in a small room. */
export const ECHO_PATH = { delayMs: 40, gainDb: -6, reverb: true } as const;
const REPLY = 'You spoke for {seconds} seconds. Tomorrow will be sunny in the morning, with clouds later on.';
/** The voice cuts in this far into the reply, as heard. */
const CUT_IN_AFTER_MS = 1000;

export interface EchoRun {
  readonly load: 'quiet' | 'one core busy';
  readonly replies: number;
  /** Replies the assistant cut itself (its own echo taken for a voice), of `replies`. */
  readonly selfInterruptions: number;
  readonly bargeInsTried: number;
  readonly bargeInsDetected: number;
  readonly bargeInOnsetToSilent: ReturnType<typeof summary>;
  /** Each measured barge-in, in order (ms); one below 0 (the recording stopped following the reply before the voice began) is not in the summary. */
  readonly bargeInOnsetToSilentEachMs: number[];
  /** The dsp's own figure on dsp/state (median over echo-only audio), after it converged: the median of what it said. */
  readonly erleReportedDb: number | null;
  /**
   * From outside: the microphone (audio/mic) over what the model heard (audio/input) while replies
   * played with nobody talking, after convergence: the canceller and the echo gate together.
   */
  readonly echoRemovedEndToEndDb: number | null;
  readonly outcomes: { readonly selfTest: string[]; readonly bargeIn: string[] };
  /** Replies of the self-test held (paused) by what the model's VAD took for a voice (the echo) and let go: how many, how long. */
  readonly echoHeldAndResumed: ReturnType<typeof holdSummary>;
  /** The dsp's counters at the end (reference waits and late chunks, delay changes, speech starts). */
  readonly dspCounters: unknown;
  /** The playback's counters at the end of the run: its device's xruns (each restarts the echo reference's timeline). */
  readonly playbackCounters: unknown;
  /**
   * Each barge-in that did not cut the reply, and where the voice was lost: the dsp's VAD and the
   * model's (`speech_started` in its cycle), the reply held and let go (the false-barge-in guard).
   */
  readonly missedBargeIns: MissedBargeIn[];
}

export interface MissedBargeIn {
  /** Which of the barge-in cycles (0-based), and the turn's outcome. */
  readonly cycle: number;
  readonly outcome: string;
  readonly dspSpeechStarts: number;
  readonly modelSpeechStarts: number;
  readonly heldAndResumed: number;
  /**
   * What the dsp's metrics counted over the cycle: the speaker's timeline restarting, frames of
   * it lost (`reference.gaps`) or its stamps jumping (`reference.restarts`); chunks judged with
   * their reference in doubt (the doubt after each restart holds a voice over the reply as echo
   * until the canceller proves the reference right); and how those doubts ended (proved, run
   * out, overtaken by the next restart: `echo.settlings…`).
   */
  readonly dspCounted: Record<string, number | null>;
  /**
   * The voice as the microphone carried it (audio/mic) and as the dsp sent it on (audio/input),
   * dBFS over its first 600 ms from its onset in the microphone recording: a voice the board never
   * heard (the bench's own player) is told from one the dsp gated. Null when the recording does
   * not hold it.
   */
  readonly voiceLevels: { readonly micDbfs: number | null; readonly inputDbfs: number | null } | null;
}

/** How much the dsp's metrics counted of each of `names` between two points of the run (null without a metrics message on both sides). */
function dspCounted(messages: readonly Message[], from: number, to: number, names: readonly string[]): Record<string, number | null> {
  const counters = (index: number) => messages.slice(0, index).findLast((m) => m.topic === 'voxbus/dsp/metrics')?.json?.counters as Record<string, number> | undefined;
  const before = counters(from);
  const after = counters(to);
  return Object.fromEntries(names.map((name) => [name, before?.[name] !== undefined && after?.[name] !== undefined ? after[name] - before[name] : null]));
}

const speechStarts = (messages: readonly Message[], topic: string) => messages.filter((m) => m.topic === topic && m.json?.kind === 'speech_started').length;

const isTurn = (m: Message) => m.topic === 'voxbus/conversation/event/turn';
const isReplyItem = (kind: string) => (m: Message) => m.topic === 'voxbus/playback/event/item' && m.json?.kind === kind && !String(m.json.itemId).startsWith('earcon:');

/** Waits until the conversation has listened, with nothing played and no turn, for a second. */
async function settled(stack: Stack): Promise<void> {
  for (const deadline = Date.now() + 60_000; Date.now() < deadline; await sleep(100)) {
    const last = stack.messages.findLast((m) => m.topic === 'voxbus/conversation/state' || m.topic === 'voxbus/audio/output');
    const state = stack.messages.findLast((m) => m.topic === 'voxbus/conversation/state');
    if (state !== undefined && stack.isListening(state) && last !== undefined && nowUs() - last.atUs > 1_000_000) return;
  }
  throw new Error('bench:e2e (echo): the conversation never settled to listening');
}

/** How much of a missed barge-in's voice (ms from its onset) its levels are taken over. */
export const VOICE_LEVELS_MS = 600;

const dbfs = (power: number | undefined) => (power === undefined ? null : Math.round(10 * Math.log10(Math.max(power, 1e-12)) * 10) / 10);

/** Mean power (fraction of full scale²) of the s16 frames of `topic` whose first sample lies in [fromUs, toUs). */
function framePower(messages: readonly Message[], topic: string, fromUs: number, toUs: number): number | undefined {
  let sum = 0;
  let count = 0;
  for (const m of messages) {
    if (m.topic !== topic) continue;
    const frame = decodeAudioFrame(m.payload);
    if (frame.captureTimeUs < fromUs || frame.captureTimeUs >= toUs || frame.sampleFormat !== 's16le') continue;
    const view = new DataView(frame.pcm.buffer, frame.pcm.byteOffset, frame.pcm.byteLength);
    for (let at = 0; at + 1 < frame.pcm.byteLength; at += 2) {
      const value = view.getInt16(at, true) / 32768;
      sum += value * value;
      count++;
    }
  }
  return count === 0 ? undefined : sum / count;
}

/**
 * The assistant in a room: the board's echo path on, `auto` mode (the default), the model's VAD.
 * First `cycles` questions whose replies must play to their end (a reply cut is the assistant
 * interrupting itself), then `cycles` questions with a second voice over each reply, which must
 * cut it. With `busy`, a load generator keeps one of the two cores spinning throughout.
 */
export async function runEcho(board: VirtualBoard, question: Buffer, interruption: Buffer, cycles: number, busy: boolean): Promise<EchoRun> {
  // The interruption at the recordings' rate, to find it in the microphone by its waveform.
  const voice = samples(interruption).filter((_, i) => i % (MIC_RATE_HZ / RATE_HZ) === 0);
  const load = busy ? 'one core busy' : 'quiet';
  let hog: ChildProcess | undefined;
  // The load generator spins, and looks up now and then whether the benchmark still lives: it
  // must not outlive it, whatever ends the benchmark.
  if (busy) hog = spawn(process.execPath, ['-e', 'const parent = process.ppid; for (;;) { for (let i = 0; i < 1e7; i++); if (process.ppid !== parent) process.exit(0); }'], { stdio: 'ignore' });
  await board.setEcho(ECHO_PATH);
  const stack = await startStack(board, {
    name: `echo, ${load}`,
    env: { VOXBUS_REALTIME_SIM__REALTIME_FACTOR: '2' },
    reply: REPLY,
    extraTopics: ['voxbus/audio/mic', 'voxbus/audio/input', 'voxbus/dsp/metrics', 'voxbus/playback/metrics'],
  }).catch((error: unknown) => {
    hog?.kill('SIGKILL');
    throw error;
  });
  const mic = board.recordMicrophone(RATE_HZ);
  const speaker = board.recordSpeaker(RATE_HZ);
  let recorded = false;
  try {
    process.stderr.write(`bench:e2e echo path (${load}): ${cycles} replies to play whole, then ${cycles} barge-ins…\n`);
    const selfTest: string[] = [];
    const quietReplies: { fromUs: number; toUs: number }[] = [];
    const selfTestFrom = stack.messages.length;
    for (let n = 0; n < cycles; n++) {
      const start = stack.messages.length;
      await board.speak(question, MIC_RATE_HZ);
      const report = await stack.waitFor(isTurn, start, 30_000, 'turn report');
      selfTest.push(String(report.json?.outcome));
      const started = stack.messages.slice(start).find(isReplyItem('started'));
      const drained = stack.messages.slice(start).find(isReplyItem('drained'));
      if (started !== undefined && drained !== undefined) quietReplies.push({ fromUs: started.atUs, toUs: drained.atUs });
      await settled(stack);
    }
    const selfTestTo = stack.messages.length;
    const bargeIn: string[] = [];
    // Each missed barge-in's voice is looked for in the microphone recording once it is stopped.
    const misses: { spokenFromUs: number; counted: Omit<MissedBargeIn, 'voiceLevels'> }[] = [];
    const cutIns: { start: number; itemId: string; spokenFromUs: number; askedToUs: number }[] = [];
    for (let n = 0; n < cycles; n++) {
      const start = stack.messages.length;
      await board.speak(question, MIC_RATE_HZ);
      const askedToUs = nowUs();
      const playing = await stack.waitFor((m) => isReplyItem('position')(m) && Number(m.json?.heardMs) > CUT_IN_AFTER_MS, start, 20_000, 'reply a second in');
      const spokenFromUs = nowUs();
      await board.speak(interruption, MIC_RATE_HZ);
      const report = await stack.waitFor(isTurn, start, 30_000, 'turn report');
      bargeIn.push(String(report.json?.outcome));
      if (report.json?.outcome === 'interrupted') cutIns.push({ start, itemId: String(playing.json?.itemId), spokenFromUs, askedToUs });
      await settled(stack);
      if (report.json?.outcome !== 'interrupted') {
        // From the reply a second in (the question's own speech starts before it) to the turn's end.
        const cycle = stack.messages.slice(stack.messages.indexOf(playing), stack.messages.indexOf(report) + 1);
        misses.push({
          spokenFromUs,
          counted: {
            cycle: n,
            outcome: String(report.json?.outcome),
            dspSpeechStarts: speechStarts(cycle, 'voxbus/dsp/event/vad'),
            modelSpeechStarts: speechStarts(cycle, 'voxbus/realtime-gateway/event/vad'),
            heldAndResumed: holdSummary(cycle, 0).count,
            dspCounted: dspCounted(stack.messages, stack.messages.indexOf(playing), stack.messages.length, ['reference.gaps', 'reference.restarts', 'reference.moves', 'echo.doubtedChunks', 'echo.settlingsProved', 'echo.settlingsExpired', 'echo.settlingsOvertaken']),
          },
        });
      }
    }
    await sleep(500);
    recorded = true;
    const [micRecording, speakerRecording] = await Promise.all([mic.stop(), speaker.stop()]);
    const speakerSpans = spansUs(speakerRecording, 20);
    const missedBargeIns: MissedBargeIn[] = misses.map(({ spokenFromUs, counted }) => {
      const onsetUs = voiceOnsetUs(micRecording, voice, spokenFromUs);
      const levelOn = (topic: string) => (onsetUs === undefined ? null : dbfs(framePower(stack.messages, topic, onsetUs, onsetUs + VOICE_LEVELS_MS * 1000)));
      return { ...counted, voiceLevels: onsetUs === undefined ? null : { micDbfs: levelOn('voxbus/audio/mic'), inputDbfs: levelOn('voxbus/audio/input') } };
    });
    const silentAfterMs: number[] = [];
    for (const cut of cutIns) {
      const onsetUs = voiceOnsetUs(micRecording, voice, cut.spokenFromUs);
      const firstHeard = speakerSpans.find((s) => s.fromUs > cut.askedToUs);
      if (onsetUs === undefined || firstHeard === undefined) continue;
      const silentUs = silencedAtUs(speakerRecording, replyAudio(stack.messages, cut.start, cut.itemId), firstHeard.fromSample);
      if (silentUs === undefined) {
        console.error(`bench:e2e echo: a cut reply not found in the speaker recording near ${firstHeard.fromUs} µs: its barge-in time is not counted`);
      } else {
        silentAfterMs.push((silentUs - onsetUs) / 1000);
        if (silentUs < onsetUs) console.error(`bench:e2e echo: the speaker recording stopped following a cut reply ${Math.round((onsetUs - silentUs) / 1000)} ms before the voice began (a stall or a gap, not the cut): not in the summary`);
      }
    }
    // Echo figures after the canceller converged.
    const convergedAt = stack.messages.find((m) => m.topic === 'voxbus/dsp/state' && (m.json?.echo as { converged?: boolean } | undefined)?.converged === true)?.atUs;
    const reported = stack.messages
      .filter((m) => m.topic === 'voxbus/dsp/state' && convergedAt !== undefined && m.atUs >= convergedAt)
      .map((m) => (m.json?.echo as { erleDb: number | null } | undefined)?.erleDb)
      .filter((value): value is number => typeof value === 'number');
    const endToEnd: number[] = [];
    for (const reply of quietReplies) {
      if (convergedAt === undefined || reply.fromUs < convergedAt) continue;
      // The reply as heard, its first 100 ms aside (the gate's onset), and 100 ms of its tail.
      const micPower = framePower(stack.messages, 'voxbus/audio/mic', reply.fromUs + 100_000, reply.toUs + 100_000);
      const inputPower = framePower(stack.messages, 'voxbus/audio/input', reply.fromUs + 100_000, reply.toUs + 100_000);
      if (micPower !== undefined && inputPower !== undefined) endToEnd.push(10 * Math.log10(micPower / Math.max(inputPower, 1e-12)));
    }
    const median = (values: number[]) => (values.length === 0 ? null : round3(percentiles(values, [50])[0] as number));
    return {
      load,
      replies: selfTest.length,
      selfInterruptions: selfTest.filter((outcome) => outcome !== 'answered').length,
      bargeInsTried: bargeIn.length,
      bargeInsDetected: bargeIn.filter((outcome) => outcome === 'interrupted').length,
      bargeInOnsetToSilent: summary(silentAfterMs.filter((ms) => ms >= 0)),
      bargeInOnsetToSilentEachMs: silentAfterMs.map(Math.round),
      erleReportedDb: median(reported),
      echoRemovedEndToEndDb: median(endToEnd),
      outcomes: { selfTest, bargeIn },
      echoHeldAndResumed: holdSummary(stack.messages, selfTestFrom, selfTestTo),
      dspCounters: stack.messages.findLast((m) => m.topic === 'voxbus/dsp/metrics')?.json?.counters ?? null,
      playbackCounters: stack.messages.findLast((m) => m.topic === 'voxbus/playback/metrics')?.json?.counters ?? null,
      missedBargeIns,
    };
  } finally {
    // BENCH_E2E_TRACE=<file>: every JSON message of the run, for finding what went wrong.
    const trace = process.env.BENCH_E2E_TRACE;
    if (trace !== undefined) {
      const wallOffsetUs = Date.now() * 1000 - nowUs();
      appendFileSync(trace, `${stack.messages.filter((m) => m.json !== undefined).map((m) => JSON.stringify({ load, wallMs: Math.round((m.atUs + wallOffsetUs) / 1000), topic: m.topic, json: m.json })).join('\n')}\n`);
    }
    hog?.kill('SIGKILL');
    if (!recorded) await Promise.all([mic.stop(), speaker.stop()]);
    await stack.stop();
    await board.setEcho(false);
  }
}
