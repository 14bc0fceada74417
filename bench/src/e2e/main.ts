import '../lib/no-leftovers.js';
import { speech, startVirtualBoard, type VirtualBoard } from '@voxbus/shared/testing';
import { writeResults } from '../lib/results.js';
import { ECHO_PATH, type EchoRun, runEcho, VOICE_LEVELS_MS } from './echo-run.js';
import { type NoiseRun, runNoises } from './noise-run.js';
import { type Message, MIC_RATE_HZ, nowUs, RATE_HZ, replyAudio, silencedAtUs, sleep, spansUs, type Stack, startStack, summary } from './stack.js';

/**
 * npm run bench:e2e — the whole assistant on the virtual board, every service its own process, the
 * simulator as the model, in full-duplex, once with the model's VAD and once with the dsp's.
 * BENCH_E2E_CYCLES (default 20) times: a question is spoken into the microphone; once its reply
 * is heard, a second voice interrupts it; the interruption is answered. Each cycle gives two
 * turns (the question's and the interruption's) and one barge-in.
 *
 * Time is CLOCK_MONOTONIC throughout: the microphone and the speaker are recorded (parec), so the
 * end of the person's speech and the first sample of the reply are where the sound is, not where
 * some service says it is. The simulator says when the input that ended the turn reached it and
 * when it sent the first audio (realtime-sim/event/timing): that is the model's own time (its
 * end-of-turn wait with server VAD, its synthesis); everything else is ours.
 */
const CYCLES = Number(process.env.BENCH_E2E_CYCLES ?? 20);
const BARGE_IN_AFTER_MS = 400;
const REPLY = 'You spoke for {seconds} seconds. This answer goes on for a while, so that there is time to interrupt it before it ends.';

type Vad = 'server' | 'local';

interface Timing {
  responseId: string;
  trigger: string;
  inputEndUs: number;
  firstAudioUs: number;
}

interface Spoken {
  readonly fromUs: number;
  readonly toUs: number;
}

interface TurnSample {
  vad: Vad;
  /** The VAD in use said the speech stopped, after the end of the speech in the recording (its endpointing wait). */
  endOfTurnWaitMs: number | null;
  totalMs: number;
  simMs: number;
  pipelineMs: number;
  micToModelMs: number;
  modelToSpeakerMs: number;
}

interface BargeInSample {
  vad: Vad;
  onsetToSilentMs: number;
  onsetToVadMs: number;
  /** To conversation-state's playback/cmd/pause (the reply held); null where it was not held. */
  onsetToPauseMs: number | null;
  onsetToFlushedMs: number;
}

/** The stack for one VAD setting, full-duplex. */
const startVadStack = (board: VirtualBoard, vad: Vad) =>
  startStack(board, { name: `${vad} VAD`, env: { VOXBUS_CONVERSATION_STATE__MODE: 'full-duplex', VOXBUS_CONVERSATION_STATE__VAD: vad }, reply: REPLY, extraTopics: ['voxbus/dsp/metrics'] });

const isTurn = (outcome: string) => (m: Message) => m.topic === 'voxbus/conversation/event/turn' && m.json?.outcome === outcome;

async function runVad(board: VirtualBoard, vad: Vad, question: Buffer, interruption: Buffer) {
  const stack = await startVadStack(board, vad);
  try {
    return await measureVad(board, stack, vad, question, interruption);
  } finally {
    await stack.stop();
  }
}

async function measureVad(board: VirtualBoard, stack: Stack, vad: Vad, question: Buffer, interruption: Buffer) {
  // One reply played whole first, not measured: in its first second the dsp learns whether the
  // microphone hears the speaker, and until then gates what it hears over the speaker as echo.
  const warmUp = stack.messages.length;
  await board.speak(question, MIC_RATE_HZ);
  const warmed = await stack.waitFor(isTurn('answered'), warmUp, 30_000, 'answered warm-up turn');
  await stack.waitFor(stack.isListening, stack.messages.indexOf(warmed), 20_000, 'listening after the warm-up');
  const measuredFrom = stack.messages.length;
  const mic = board.recordMicrophone(RATE_HZ);
  const speaker = board.recordSpeaker(RATE_HZ);
  let recorded = false;
  try {
    await sleep(500);
    const questions: Spoken[] = [];
    const interruptions: Spoken[] = [];
    const cycles: { start: number; itemId: string }[] = [];
    process.stderr.write(`bench:e2e ${vad} VAD: ${CYCLES} cycles…\n`);
    for (let cycle = 0; cycle < CYCLES; cycle++) {
      const start = stack.messages.length;
      const asked = nowUs();
      await board.speak(question, MIC_RATE_HZ);
      questions.push({ fromUs: asked, toUs: nowUs() });
      const started = await stack.waitFor(
        (m) => m.topic === 'voxbus/playback/event/item' && m.json?.kind === 'started' && !String(m.json.itemId).startsWith('earcon:'),
        start,
        20_000,
        'reply heard',
      );
      await sleep(BARGE_IN_AFTER_MS);
      const interrupted = nowUs();
      await board.speak(interruption, MIC_RATE_HZ);
      interruptions.push({ fromUs: interrupted, toUs: nowUs() });
      cycles.push({ start, itemId: String(started.json?.itemId) });
      await stack.waitFor(isTurn('interrupted'), start, 20_000, 'interrupted turn');
      const answered = await stack.waitFor(isTurn('answered'), start, 30_000, 'answered turn');
      await stack.waitFor(stack.isListening, stack.messages.indexOf(answered), 20_000, 'listening again');
      await sleep(300);
    }
    await sleep(500);
    recorded = true;
    const micRecording = await mic.stop();
    const speakerRecording = await speaker.stop();

    const micSpans = spansUs(micRecording, 300);
    const speakerSpans = spansUs(speakerRecording, 20);
    const timings = new Map(
      stack.messages.filter((m) => m.topic === 'voxbus/realtime-sim/event/timing').map((m) => [String(m.json?.responseId), m.json as unknown as Timing]),
    );
    const reports = stack.messages.slice(measuredFrom).filter((m) => m.topic === 'voxbus/conversation/event/turn').map((m) => m.json as { outcome: string; responseId: string | null });

    const speechIn = (spoken: Spoken) => micSpans.filter((s) => s.fromUs >= spoken.fromUs - 50_000 && s.fromUs <= spoken.toUs);
    const vadTopic = vad === 'server' ? 'voxbus/realtime-gateway/event/vad' : 'voxbus/dsp/event/vad';
    const stops = stack.messages.slice(measuredFrom).filter((m) => m.topic === vadTopic && m.json?.kind === 'speech_stopped');
    // A false cut: the VAD in use said the speech stopped while the person was still speaking (a pause mid-sentence taken for its end).
    let falseCuts = 0;
    let utterances = 0;
    const countCuts = (spoken: Spoken): void => {
      const speech = speechIn(spoken);
      const fromUs = speech[0]?.fromUs;
      const toUs = speech.at(-1)?.toUs;
      if (fromUs === undefined || toUs === undefined) return;
      utterances++;
      if (stops.some((m) => m.atUs > fromUs && m.atUs < toUs)) falseCuts++;
    };
    const turns: TurnSample[] = [];
    const bargeIns: BargeInSample[] = [];
    const turnSample = (spoken: Spoken, responseId: string | null | undefined): void => {
      const speech = speechIn(spoken);
      const timing = responseId == null ? undefined : timings.get(responseId);
      const endUs = speech[speech.length - 1]?.toUs;
      if (endUs === undefined || timing === undefined) return;
      const reply = speakerSpans.find((s) => s.fromUs > endUs);
      if (reply === undefined) return;
      const totalMs = (reply.fromUs - endUs) / 1000;
      const simMs = (timing.firstAudioUs - timing.inputEndUs) / 1000;
      const stopped = stops.find((m) => m.atUs > endUs);
      turns.push({
        vad,
        endOfTurnWaitMs: stopped === undefined || stopped.atUs > reply.fromUs ? null : (stopped.atUs - endUs) / 1000,
        totalMs,
        simMs,
        pipelineMs: totalMs - simMs,
        micToModelMs: (timing.inputEndUs - endUs) / 1000,
        modelToSpeakerMs: (reply.fromUs - timing.firstAudioUs) / 1000,
      });
    };
    const interruptedReports = reports.filter((r) => r.outcome === 'interrupted');
    const answeredReports = reports.filter((r) => r.outcome === 'answered');
    cycles.forEach((cycle, i) => {
      const asked = questions[i] as Spoken;
      const cutIn = interruptions[i] as Spoken;
      turnSample(asked, interruptedReports[i]?.responseId);
      turnSample(cutIn, answeredReports[i]?.responseId);
      countCuts(asked);
      countCuts(cutIn);
      // Barge-in: from the first sound of the interruption to where the speaker stopped following the reply.
      const onsetUs = speechIn(cutIn)[0]?.fromUs;
      const firstHeard = speakerSpans.find((s) => s.fromUs > asked.toUs);
      if (onsetUs === undefined || firstHeard === undefined) return;
      const silentUs = silencedAtUs(speakerRecording, replyAudio(stack.messages, cycle.start, cycle.itemId), firstHeard.fromSample);
      if (silentUs === undefined) return;
      const after = stack.messages.slice(cycle.start).filter((m) => m.atUs >= onsetUs);
      const heardVad = after.find((m) => m.topic === vadTopic && m.json?.kind === 'speech_started');
      const flushed = after.find((m) => m.topic === 'voxbus/playback/event/item' && m.json?.kind === 'flushed' && m.json.itemId === cycle.itemId);
      if (heardVad === undefined || flushed === undefined) return;
      const paused = after.find((m) => m.topic === 'voxbus/playback/cmd/pause' && m.atUs <= flushed.atUs);
      bargeIns.push({
        vad,
        onsetToSilentMs: (silentUs - onsetUs) / 1000,
        onsetToVadMs: (heardVad.atUs - onsetUs) / 1000,
        onsetToPauseMs: paused === undefined ? null : (paused.atUs - onsetUs) / 1000,
        onsetToFlushedMs: (flushed.atUs - onsetUs) / 1000,
      });
    });
    return { turns, bargeIns, turnsAsked: CYCLES * 2, falseCuts, utterances, referenceWaits: referenceWaits(stack.messages.slice(measuredFrom)) };
  } finally {
    if (!recorded) await Promise.all([mic.stop(), speaker.stop()]);
  }
}


/**
 * How often the dsp held a microphone chunk for the speaker's reference (it judges a chunk only
 * once the reference 30 ms past it is here), over the measured cycles: from its metrics.
 */
function referenceWaits(messages: Message[]): { frames: number; waits: number } | null {
  const counters = messages.filter((m) => m.topic === 'voxbus/dsp/metrics').map((m) => m.json?.counters as Record<string, number> | undefined);
  const first = counters[0];
  const last = counters.at(-1);
  if (first === undefined || last === undefined) return null;
  const delta = (name: string) => (last[name] ?? 0) - (first[name] ?? 0);
  return { frames: delta('frames.in'), waits: delta('reference.waits') };
}

const PARTS = (process.env.BENCH_E2E_PARTS ?? 'vad,noise,echo').split(',');
/** BENCH_E2E_VADS: which VAD settings the vad part measures (default server,local). */
const VADS = (process.env.BENCH_E2E_VADS ?? 'server,local').split(',').filter((vad): vad is Vad => vad === 'server' || vad === 'local');
const ECHO_CYCLES = Number(process.env.BENCH_E2E_ECHO_CYCLES ?? 20);
const NOISE_REPLIES = Number(process.env.BENCH_E2E_NOISE_REPLIES ?? 10);
const board = await startVirtualBoard();
const question = await speech('What will the weather be like tomorrow?', MIC_RATE_HZ);
// A statement with a pause in it (after "Stop."): a false cut there would show, and its end falls.
const interruption = await speech('Stop. Tell me about tomorrow instead.', MIC_RATE_HZ);
const results: Record<string, unknown> = {};
const rows: [string, ReturnType<typeof summary>][] = [];
const echoRuns: EchoRun[] = [];
const noiseRuns: NoiseRun[] = [];
try {
  for (const vad of PARTS.includes('vad') ? VADS : []) {
    const { turns, bargeIns, turnsAsked, falseCuts, utterances, referenceWaits } = await runVad(board, vad, question, interruption);
    const pick = (key: keyof Omit<TurnSample, 'vad' | 'endOfTurnWaitMs'>) => summary(turns.map((t) => t[key]));
    const mode = {
      turnsMeasured: turns.length,
      turnsAsked,
      endOfTurn: {
        wait: summary(turns.flatMap((t) => (t.endOfTurnWaitMs === null ? [] : [t.endOfTurnWaitMs]))),
        falseCuts,
        utterances,
        falseCutRate: utterances === 0 ? null : falseCuts / utterances,
      },
      endOfSpeechToFirstReplySample: {
        total: pick('totalMs'),
        sim: pick('simMs'),
        pipeline: pick('pipelineMs'),
        pipelineMicToModel: pick('micToModelMs'),
        pipelineModelToSpeaker: pick('modelToSpeakerMs'),
      },
      bargeIn: {
        onsetToSpeakerSilent: summary(bargeIns.map((b) => b.onsetToSilentMs)),
        onsetToVadEvent: summary(bargeIns.map((b) => b.onsetToVadMs)),
        onsetToPause: summary(bargeIns.flatMap((b) => (b.onsetToPauseMs === null ? [] : [b.onsetToPauseMs]))),
        onsetToFlushed: summary(bargeIns.map((b) => b.onsetToFlushedMs)),
      },
      dspReferenceWaits: referenceWaits,
      samples: { turns, bargeIns },
    };
    results[`${vad}Vad`] = mode;
    rows.push(
      [`${vad}: speech end → reply`, mode.endOfSpeechToFirstReplySample.total],
      [`${vad}:   of which sim`, mode.endOfSpeechToFirstReplySample.sim],
      [`${vad}:   of which ours`, mode.endOfSpeechToFirstReplySample.pipeline],
      [`${vad}:     mic → model`, mode.endOfSpeechToFirstReplySample.pipelineMicToModel],
      [`${vad}:     model → speaker`, mode.endOfSpeechToFirstReplySample.pipelineModelToSpeaker],
      [`${vad}: end-of-turn wait`, mode.endOfTurn.wait],
      [`${vad}: barge-in → held`, mode.bargeIn.onsetToPause],
      [`${vad}: barge-in → silent`, mode.bargeIn.onsetToSpeakerSilent],
    );
    console.log(`${vad} VAD: ${falseCuts} of ${utterances} utterances cut while still spoken (false cuts)`);
    if (referenceWaits !== null) console.log(`${vad} VAD: the dsp held a microphone frame for the speaker's reference ${referenceWaits.waits} times in ${referenceWaits.frames} frames`);
  }
  if (PARTS.includes('noise')) {
    for (const vad of ['server', 'local'] as const) noiseRuns.push(await runNoises(board, question, REPLY, vad, NOISE_REPLIES));
    results.noisesOverTheReply = {
      description: 'a cough (250 ms of decaying noise), a click (5 ms) and a knock (two 150 Hz thuds) over each reply, 400, 900 and 1300 ms after it is first heard; a false barge-in is a reply that was cut (its turn not `answered`); goal 0',
      runs: noiseRuns,
    };
  }
  if (PARTS.includes('echo')) {
    const waitAMoment = await speech('Wait a moment please', MIC_RATE_HZ);
    // BENCH_E2E_ECHO_LOADS=quiet (or busy) runs only that one, when looking into it.
    const loads = (process.env.BENCH_E2E_ECHO_LOADS ?? 'quiet,busy').split(',');
    for (const busy of [false, true].filter((b) => loads.includes(b ? 'busy' : 'quiet'))) echoRuns.push(await runEcho(board, question, waitAMoment, ECHO_CYCLES, busy));
  }
} finally {
  await board.stop();
}

/** Holds (pauses) of replies let go again: how many, and how long they held. */
const heldText = (held: { count: number; heldMs: { p50_ms: number; max_ms: number } | null }) =>
  held.heldMs === null ? 'none held' : `${held.count} holds let go, each ${held.heldMs.p50_ms.toFixed(0)} ms p50, ${held.heldMs.max_ms.toFixed(0)} ms at most`;
if (echoRuns.length > 0) {
  const echoPath = writeResults('e2e-echo', {
    cycles: ECHO_CYCLES,
    echoPath: ECHO_PATH,
    runs: echoRuns,
    goals: { selfInterruptions: 0, bargeInsDetected: ECHO_CYCLES - 1, erleReportedDb: 20 },
    definitions: {
      selfInterruption: "a reply, with nobody talking over it, that did not play to its end (the conversation's turn report is not `answered`)",
      bargeInDetected: 'a second voice (espeak-ng, "Wait a moment please") over the reply, a second into it, cut it: the turn report is `interrupted`',
      bargeInOnsetToSilent: 'the first sound of that voice in the microphone recording → where the speaker recording stops following the reply; a time below 0 (the recording stopped following the reply before the voice began: a stall or a gap, not the cut) is listed in bargeInOnsetToSilentEachMs but not summed up',
      erleReportedDb: "dsp/state's echo.erleDb (the median of microphone over what the canceller left, over echo-only audio) after the dsp first said converged: the median of the values it published",
      echoRemovedEndToEndDb: 'audio/mic over audio/input (what the model heard) while the replies with nobody talking played, after convergence: the canceller and the echo gate together; the median over replies',
    },
    method:
      "the whole assistant as in the other runs, `auto` mode and the model's VAD (the defaults), the board's echo path on: 40 ms, -6 dB, with TAP's reverberator as the room's tail (600 ms, 10 dB under the direct sound); replies streamed at twice real time; once quiet and once with a load generator spinning on one of the two cores",
  });
  console.log(`\nthe echo path (40 ms, -6 dB, a room's tail), ${ECHO_CYCLES} replies and ${ECHO_CYCLES} barge-ins per run\n`);
  console.log('run               self-interruptions  barge-ins  onset→silent p50/p99 ms  ERLE dsp dB  end-to-end dB');
  for (const run of echoRuns) {
    console.log(
      `${run.load.padEnd(18)}${`${run.selfInterruptions}/${run.replies}`.padStart(12)}${`${run.bargeInsDetected}/${run.bargeInsTried}`.padStart(16)}${`${run.bargeInOnsetToSilent.p50_ms.toFixed(0)} / ${run.bargeInOnsetToSilent.p99_ms.toFixed(0)}`.padStart(20)}${String(run.erleReportedDb).padStart(13)}${String(run.echoRemovedEndToEndDb?.toFixed(1)).padStart(15)}`,
    );
    console.log(`  ${run.load}: the echo alone, over the ${run.replies} replies: ${heldText(run.echoHeldAndResumed)}`);
    for (const miss of run.missedBargeIns)
      console.log(`  ${run.load}: barge-in ${miss.cycle + 1} not cut (${miss.outcome}): the dsp's VAD started speech ${miss.dspSpeechStarts}×, the model's ${miss.modelSpeechStarts}×, the reply held and let go ${miss.heldAndResumed}×; the dsp counted ${JSON.stringify(miss.dspCounted)}; the voice's first ${VOICE_LEVELS_MS} ms ${miss.voiceLevels === null ? 'not found in the microphone recording' : `at ${miss.voiceLevels.micDbfs} dBFS on audio/mic, ${miss.voiceLevels.inputDbfs} dBFS on audio/input`}`);
  }
  console.log(`\nwritten to ${echoPath}`);
}
for (const run of noiseRuns) console.log(`noises over the reply, ${run.vad} VAD: ${run.falseBargeIns} of ${run.replies} replies cut (goal 0); ${heldText(run.heldAndResumed)}`);
if (rows.length === 0 && noiseRuns.length === 0) process.exit(0);

const path = writeResults('e2e', {
  cycles: CYCLES,
  ...results,
  definitions: {
    endOfSpeech: 'the end of the last sound of the spoken question in a recording of the virtual microphone',
    firstReplySample: 'the first sound after it in a recording of the virtual speaker (earcons: only the listening cue at start, so none between)',
    sim: "realtime-sim's own time: the input that ended the turn arriving (with server VAD, the audio where speech ended; with local VAD, the commit) → its first audio delta sent; includes its end-of-turn silence wait with server VAD and its speech synthesis",
    pipeline: 'total − sim: capture, dsp, the bus, the gateway both ways, playback and the device; with local VAD also the dsp VAD hangover before the commit',
    bargeInOnset: 'the first sound of the interrupting voice in the microphone recording',
    endOfTurnWait: "the end of speech in the microphone recording → the VAD in use saying speech_stopped on the bus (the model's, relayed by the gateway, or the dsp's)",
    falseCut: 'an utterance (the question, or the interruption "Stop. Tell me about tomorrow instead.", which pauses after "Stop.") during which the VAD in use said speech_stopped before its last sound',
    speakerSilent: 'where the speaker recording stops following the reply (aligned by cross-correlation, underrun gaps skipped)',
  },
  method:
    'every service its own process (as the run command starts them), Aedes broker, the virtual board (PulseAudio null sinks via the ALSA pulse plugin), espeak-ng voices, full-duplex, default settings otherwise; recordings by parec at 10 ms latency, each sample placed on CLOCK_MONOTONIC by the chunks that arrived within a second after it (the sound server\'s clock drifts about 0.06 % from the system\'s)',
});
console.log(`\nthe whole conversation on the virtual board, ${CYCLES} cycles per VAD setting\n`);
console.log('measure                         p50 ms   p99 ms   max ms     n');
for (const [name, r] of rows) console.log(`${name.padEnd(30)} ${r.p50_ms.toFixed(0).padStart(7)} ${r.p99_ms.toFixed(0).padStart(8)} ${r.max_ms.toFixed(0).padStart(8)} ${String(r.n).padStart(5)}`);
console.log(`\nwritten to ${path}`);
process.exit(0);
