import { randomBytes } from 'node:crypto';
import { type AudioFrame, frameDurationMs } from '../audio/frame-codec.js';
import { earconItemId } from '../contract/schemas.js';
import { judgeClosingRules, judgeDescribe, judgeOnline, streamContinuity } from './common-rules.js';
import { type KitOptions, sleep } from './kit.js';
import type { BusObserver, SeenMessage } from './observer.js';
import type { Verdicts } from './report.js';
import { itemFrames, levelDbfs, tone } from './signal.js';

/** The playback kit's scenarios, in the order they run; `--only` picks some (the start-up checks always run). */
export const PLAYBACK_SCENARIOS = ['startup', 'play', 'flush', 'pause', 'earcon', 'volume', 'mute'] as const;
export type PlaybackScenario = (typeof PLAYBACK_SCENARIOS)[number];

export type PlaybackKitOptions = KitOptions<PlaybackScenario>;

const TONE_HZ = 440;
/** 0.3 of full scale: a sine's RMS is then −13.5 dBFS, loud enough to tell from silence at any volume asked. */
const TONE_AMPLITUDE = 0.3;
const TONE_DBFS = 20 * Math.log10(TONE_AMPLITUDE / Math.SQRT2);
/** Frames quieter than this are silence (a muted or flushed speaker may still dither or fade). */
const SILENT_DBFS = -50;
/** Tolerance of heardMs against what the kit sent or timed: two 20 ms frames and a device period or two. */
const HEARD_TOLERANCE_MS = 60;
/** After a flush the speaker must be silent within one period and a fade; the kit allows the bus hop and a frame. */
const FLUSH_SILENT_AFTER_MS = 200;

const round = (value: number) => Math.round(value * 10) / 10;

type ItemEvent = { kind: string; itemId: string; responseId: string; heardMs: number; receivedMs: number };

/**
 * Drives a running playback through the contract's rules over the bus, as conversation-state and
 * the gateway would, and judges what it publishes: its status, state, item events and the echo
 * reference. The candidate is a black box: only the bus is looked at.
 */
export async function runPlaybackKit(bus: BusObserver, verdicts: Verdicts, options: PlaybackKitOptions): Promise<void> {
  try {
    await runScenarios(bus, verdicts, options);
  } finally {
    const own = (topic: string) => topic.startsWith(`${bus.baseTopic}/playback/`) || topic === `${bus.baseTopic}/audio/played`;
    await judgeClosingRules(bus, verdicts, 'playback', own, options.metricsTimeoutMs);
  }
}

async function runScenarios(bus: BusObserver, verdicts: Verdicts, options: PlaybackKitOptions): Promise<void> {
  const run = randomBytes(3).toString('hex');
  const ids = (name: string) => ({ responseId: `resp_kit_${run}_${name}`, itemId: `item_kit_${run}_${name}` });
  const itemEvents = (from: number, itemId: string): ItemEvent[] =>
    bus.select('playback.event.item', from).map((m) => m.payload as ItemEvent).filter((e) => e.itemId === itemId);
  const eventFor = (kind: string, itemId: string, timeoutMs: number, from: number) =>
    bus.waitFor('playback.event.item', (e) => e.kind === kind && e.itemId === itemId, timeoutMs, from);
  const played = (from: number): (SeenMessage & { payload: AudioFrame })[] => bus.select('audio.played', from);
  const send = async (frames: AudioFrame[]) => {
    for (const frame of frames) await bus.publish('audio.output', {}, frame);
  };
  /** A tone item sent in one burst (the model delivers faster than real time); resolves on its `drained`. */
  const playTone = async (name: string, toneMs: number) => {
    const { responseId, itemId } = ids(name);
    const from = bus.mark;
    await send(itemFrames(responseId, itemId, tone(TONE_HZ, toneMs, TONE_AMPLITUDE)));
    const started = await eventFor('started', itemId, 3000, from);
    const drained = await eventFor('drained', itemId, toneMs + 3000, from);
    // The reference of the item's last frames is published as they are written: give it a frame to arrive.
    await sleep(100);
    return { from, itemId, responseId, started, drained, to: bus.mark };
  };
  /** The loudest echo-reference frame and how long the reference was above silence between two marks. */
  const loudness = (from: number, to: number) => {
    const frames = bus.messages.slice(from, to).filter((m): m is SeenMessage & { payload: AudioFrame } => m.key === 'audio.played');
    const levels = frames.map((m) => levelDbfs(m.payload));
    const loudMs = frames.filter((_, i) => (levels[i] as number) > SILENT_DBFS).reduce((sum, m) => sum + frameDurationMs(m.payload), 0);
    return { frames: frames.length, loudestDbfs: levels.length === 0 ? -120 : Math.max(...levels), loudMs: Math.round(loudMs) };
  };
  const stateNow = () => bus.select('playback.state').at(-1)?.payload;
  const volumeTo = async (volume: number) => {
    const from = bus.mark;
    await bus.publish('playback.cmd.volume', {}, { volume });
    return bus.waitFor('playback.state', (s) => s.volume === volume, 2000, from);
  };

  // Start-up: online, the device open, answering, the reference flowing.
  await judgeOnline(bus, verdicts, 'playback', options.startTimeoutMs);
  const idle = await bus.waitFor('playback.state', (s) => s.state === 'idle' && s.granted !== null, options.startTimeoutMs);
  const lastState = stateNow();
  const keptState = (await bus.retainedNow(`${bus.baseTopic}/playback/state`)) as { state: string } | undefined;
  verdicts.judge(
    'state.idle',
    idle !== undefined && keptState?.state === 'idle',
    idle === undefined
      ? `no playback/state idle with a granted device within ${options.startTimeoutMs} ms (last: ${lastState ? `${lastState.state}, error ${JSON.stringify(lastState.error)}` : 'none'})`
      : `idle on ${idle.payload.granted?.device}: ${idle.payload.granted?.sampleRateHz} Hz, ${idle.payload.granted?.channels} ch, ${idle.payload.granted?.sampleFormat}, volume ${idle.payload.volume}, muted ${idle.payload.muted}; retained: ${keptState?.state ?? 'nothing'}`,
  );
  if (!idle) return;
  if (idle.payload.volume !== 1) await volumeTo(1);
  if (idle.payload.muted) await bus.publish('playback.cmd.unmute', {}, {});

  await judgeDescribe(bus, verdicts, 'playback', `kit-${run}`);

  const quietFrom = bus.mark;
  await sleep(1000);
  const reference = played(quietFrom);
  const { ms: referenceMs, gaps, jumps } = streamContinuity(reference);
  const loudIdle = reference.filter((m) => levelDbfs(m.payload) > SILENT_DBFS).length;
  verdicts.judge(
    'played.continuous',
    referenceMs >= 800 && gaps === 0 && jumps === 0 && loudIdle === 0,
    `idle for 1000 ms: ${reference.length} audio/played frames covering ${referenceMs} ms (≥ 800 wanted), ${gaps} sequence gaps, ${jumps} time jumps over 5 ms, ${loudIdle} not silent`,
  );

  const want = new Set(options.scenarios);
  let referenceDbfs: number | undefined;

  if (want.has('play')) {
    const toneMs = 600;
    const item = await playTone('play', toneMs);
    verdicts.judge(
      'play.started',
      item.started !== undefined && item.started.payload.responseId === item.responseId,
      item.started === undefined ? `no started for ${item.itemId} within 3000 ms of its frames` : `started, responseId ${item.started.payload.responseId}`,
    );
    const events = itemEvents(item.from, item.itemId);
    const positions = events.filter((e) => e.kind === 'position').map((e) => e.heardMs);
    const ordered = positions.every((ms, i) => i === 0 || ms >= (positions[i - 1] as number));
    verdicts.judge(
      'play.positions',
      positions.length >= 2 && ordered && positions.every((ms) => ms <= toneMs),
      `${positions.length} position events (≥ 2 wanted over ${toneMs} ms), heardMs ${positions.join(', ') || 'none'}${ordered ? '' : ' (went backwards)'}`,
    );
    const drained = item.drained?.payload;
    verdicts.judge(
      'play.drained',
      drained !== undefined && Math.abs(drained.heardMs - toneMs) <= HEARD_TOLERANCE_MS && drained.receivedMs === toneMs,
      drained === undefined
        ? `no drained for ${item.itemId} within ${toneMs + 3000} ms (events: ${events.map((e) => e.kind).join(', ') || 'none'})`
        : `heardMs ${drained.heardMs} (${toneMs} ± ${HEARD_TOLERANCE_MS} wanted), receivedMs ${drained.receivedMs} (${toneMs} wanted)`,
    );
    const states = bus.select('playback.state', item.from).map((m) => m.payload.state);
    const backToIdle = await bus.waitFor('playback.state', (s) => s.state === 'idle', 1000, item.from + 1);
    verdicts.judge(
      'play.state',
      states.includes('playing') && backToIdle !== undefined,
      `states during the item: ${states.join(' → ') || 'none'}; ${backToIdle ? 'idle after it' : 'not idle within 1000 ms of drained'}`,
    );
    const heard = loudness(item.from, item.to);
    referenceDbfs = heard.loudestDbfs;
    verdicts.judge(
      'play.heard',
      Math.abs(heard.loudMs - toneMs) <= HEARD_TOLERANCE_MS + 20 && Math.abs(heard.loudestDbfs - TONE_DBFS) <= 3,
      `the echo reference carried ${heard.loudMs} ms above ${SILENT_DBFS} dBFS (${toneMs} ± ${HEARD_TOLERANCE_MS + 20} wanted), loudest frame ${round(heard.loudestDbfs)} dBFS (the tone is ${round(TONE_DBFS)} ± 3)`,
    );
  }

  if (want.has('flush')) {
    const long = ids('flush-long');
    const queued = ids('flush-queued');
    const from = bus.mark;
    const longPcm = tone(TONE_HZ, 3000, TONE_AMPLITUDE);
    const longFrames = itemFrames(long.responseId, long.itemId, longPcm);
    // Two thirds now, the rest after the flush: the late frames a model still streams when it is cut.
    const cut = Math.floor((longFrames.length * 2) / 3);
    await send(longFrames.slice(0, cut));
    await send(itemFrames(queued.responseId, queued.itemId, tone(TONE_HZ, 1000, TONE_AMPLITUDE)));
    const started = await eventFor('started', long.itemId, 3000, from);
    await sleep(500);
    // How long the item has been heard when the flush is sent, by the candidate's own clock for
    // its start (`timeUs` of `started`, CLOCK_MONOTONIC like the kit's): the bus hop does not count.
    const heardSoFarMs = started ? Math.round(Number(process.hrtime.bigint() / 1000n) / 1000 - started.payload.timeUs / 1000) : 0;
    const flushMark = bus.mark;
    await bus.publish('playback.cmd.flush', {}, {});
    await sleep(FLUSH_SILENT_AFTER_MS);
    const silentFrom = bus.mark;
    await sleep(300);
    const afterFlush = loudness(silentFrom, bus.mark);
    const flushedLong = await eventFor('flushed', long.itemId, 1000, flushMark);
    const flushedQueued = await eventFor('flushed', queued.itemId, 1000, flushMark);
    const heardMs = flushedLong?.payload.heardMs;
    // heardMs at a flush counts what was already in the device and the fade, which still play: up
    // to the device's buffer, a sound server's own (PulseAudio's, on the virtual board) and a period more.
    const granted = idle.payload.granted;
    const bufferMs = granted ? Math.round((granted.bufferFrames / granted.sampleRateHz) * 1000) : 0;
    const lowMs = heardSoFarMs - HEARD_TOLERANCE_MS;
    const highMs = heardSoFarMs + bufferMs + 120;
    verdicts.judge(
      'flush.flushed',
      started !== undefined &&
        heardMs !== undefined &&
        heardMs >= lowMs &&
        heardMs <= highMs &&
        flushedQueued !== undefined &&
        flushedQueued.payload.heardMs === 0,
      started === undefined
        ? `no started for ${long.itemId}`
        : `flush ${heardSoFarMs} ms after started: the playing item ${flushedLong ? `flushed, heardMs ${heardMs} (${lowMs}–${highMs} wanted)` : 'not flushed within 1500 ms of the flush'}; the queued item ${flushedQueued ? `flushed, heardMs ${flushedQueued.payload.heardMs} (0 wanted)` : 'not flushed'}`,
    );
    verdicts.judge(
      'flush.silent',
      afterFlush.frames > 0 && afterFlush.loudMs === 0,
      `from ${FLUSH_SILENT_AFTER_MS} ms after the flush: ${afterFlush.loudMs} ms of the echo reference above ${SILENT_DBFS} dBFS in ${afterFlush.frames} frames (0 wanted, and the reference still flowing)`,
    );
    const lateMark = bus.mark;
    await send(itemFrames(long.responseId, long.itemId, longPcm.subarray(cut * 960), cut * 480, cut));
    await sleep(600);
    const replayed = itemEvents(lateMark, long.itemId).filter((e) => e.kind === 'started' || e.kind === 'position');
    const lateSound = loudness(lateMark, bus.mark);
    verdicts.judge(
      'flush.late-frames',
      replayed.length === 0 && lateSound.loudMs === 0,
      `${longFrames.length - cut} frames of the flushed item sent after the flush: ${replayed.length} started/position events for it, ${lateSound.loudMs} ms of sound on the echo reference (none wanted)`,
    );
  }

  if (want.has('pause')) {
    // A 2 s tone, held 300 ms in and resumed after 500 ms; held again later with a short forMs
    // and never resumed (its sender died): it must go on by itself, and the whole tone be heard.
    const toneMs = 2000;
    const { responseId, itemId } = ids('pause');
    const from = bus.mark;
    await send(itemFrames(responseId, itemId, tone(TONE_HZ, toneMs, TONE_AMPLITUDE)));
    const started = await eventFor('started', itemId, 3000, from);
    await sleep(300);
    await bus.publish('playback.cmd.pause', {}, { forMs: 5000 });
    await sleep(FLUSH_SILENT_AFTER_MS);
    const heldFrom = bus.mark;
    await sleep(300);
    const held = loudness(heldFrom, bus.mark);
    // Positions while held need not be said (nothing plays), but any that are must stand still.
    const heardWhileHeld = itemEvents(heldFrom, itemId).map((e) => e.heardMs);
    const moved = heardWhileHeld.length === 0 ? 0 : Math.max(...heardWhileHeld) - Math.min(...heardWhileHeld);
    await bus.publish('playback.cmd.resume', {}, {});
    await sleep(400);
    await bus.publish('playback.cmd.pause', {}, { forMs: 300 });
    const drained = await eventFor('drained', itemId, toneMs + 4000, from);
    await sleep(100);
    const whole = loudness(from, bus.mark);
    verdicts.judge(
      'pause.holds',
      started !== undefined &&
        held.frames > 0 &&
        held.loudMs === 0 &&
        moved <= 20 &&
        drained !== undefined &&
        Math.abs(drained.payload.heardMs - toneMs) <= HEARD_TOLERANCE_MS &&
        Math.abs(whole.loudMs - toneMs) <= HEARD_TOLERANCE_MS + 40,
      started === undefined
        ? `no started for ${itemId}`
        : `from ${FLUSH_SILENT_AFTER_MS} ms after a pause: ${held.loudMs} ms of the echo reference above ${SILENT_DBFS} dBFS in ${held.frames} frames (0 wanted), heardMs moved ${moved} ms over ${heardWhileHeld.length} events (≤ 20 wanted); ${drained ? `resumed, and after a pause of forMs 300 never resumed: drained at heardMs ${drained.payload.heardMs} (${toneMs} ± ${HEARD_TOLERANCE_MS} wanted)` : `not drained within ${toneMs + 4000} ms (a pause never ended?)`}, ${whole.loudMs} ms of it heard on the reference (${toneMs} ± ${HEARD_TOLERANCE_MS + 40} wanted: nothing lost)`,
    );
  }

  if (want.has('earcon')) {
    const from = bus.mark;
    await bus.publish('playback.cmd.earcon', {}, { name: 'listening' });
    const itemId = earconItemId('listening');
    const started = await eventFor('started', itemId, 2000, from);
    const drained = await eventFor('drained', itemId, 2000, from);
    await sleep(100);
    const sound = loudness(from, bus.mark);
    verdicts.judge(
      'earcon.plays',
      started !== undefined &&
        started.payload.responseId === '' &&
        drained !== undefined &&
        Math.abs(drained.payload.heardMs - 160) <= 40 &&
        Math.abs(sound.loudMs - 160) <= HEARD_TOLERANCE_MS,
      `${itemId} ${started ? `started (responseId "${started.payload.responseId}")` : 'not started within 2000 ms'}, ${drained ? `drained at heardMs ${drained.payload.heardMs} (160 ± 40 wanted)` : 'not drained'}; ${sound.loudMs} ms audible on the echo reference (160 ± ${HEARD_TOLERANCE_MS})`,
    );
  }

  if (want.has('volume')) {
    const toneMs = 400;
    if (referenceDbfs === undefined) referenceDbfs = loudness(...(await playTone('volume-ref', toneMs).then((t) => [t.from, t.to] as const))).loudestDbfs;
    const set = await volumeTo(0.5);
    const item = await playTone('volume', toneMs);
    const quieter = loudness(item.from, item.to).loudestDbfs;
    const restored = await volumeTo(1);
    const dropDb = referenceDbfs - quieter;
    verdicts.judge(
      'volume.applies',
      set !== undefined && restored !== undefined && Math.abs(dropDb - 6.02) <= 2 && item.drained !== undefined,
      `${set ? 'state volume 0.5' : 'state never showed volume 0.5'}; the tone ${round(dropDb)} dB quieter on the echo reference (6 ± 2 wanted)${item.drained ? '' : ', and it never drained'}; ${restored ? 'volume 1 restored' : 'volume 1 not restored'}`,
    );
  }

  if (want.has('mute')) {
    const from = bus.mark;
    await bus.publish('playback.cmd.mute', {}, {});
    const muted = await bus.waitFor('playback.state', (s) => s.muted, 2000, from);
    const item = await playTone('mute', 400);
    const sound = loudness(item.from, item.to);
    const unmarkFrom = bus.mark;
    await bus.publish('playback.cmd.unmute', {}, {});
    const unmuted = await bus.waitFor('playback.state', (s) => !s.muted, 2000, unmarkFrom);
    verdicts.judge(
      'mute.applies',
      muted !== undefined && item.started !== undefined && item.drained !== undefined && sound.loudMs === 0 && unmuted !== undefined,
      `${muted ? 'state muted' : 'state never muted'}; a 400 ms item while muted: ${item.started ? 'started' : 'not started'}, ${item.drained ? `drained at heardMs ${item.drained.payload.heardMs}` : 'not drained'}, ${sound.loudMs} ms audible on the echo reference (0 wanted); ${unmuted ? 'unmuted' : 'state never unmuted'}`,
    );
  }
}
