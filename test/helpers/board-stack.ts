import { decodeAudioFrame } from '@voxbus/shared';
import { freePort, startVirtualBoard, type VirtualBoard, waitForPort } from '@voxbus/shared/testing';
import { afterAll } from 'vitest';
import type { cleanupAfterEach } from './cleanup.js';
import { Probe } from './probe.js';
import { type Spawned, stackPorts, startRunner } from './processes.js';

/** Every service of the assistant (the lcd aside), each its own process under the run command. */
export const ALL_SERVICES = ['broker', 'realtime-sim', 'realtime-gateway', 'audio-capture', 'dsp', 'playback', 'conversation-state'] as const;

export interface BoardStack {
  readonly board: VirtualBoard;
  readonly probe: Probe;
  readonly runner: Spawned;
  readonly url: string;
  /** The broker's WebSocket port: MQTT at /mqtt, the monitor page at /. */
  readonly wsPort: number;
}

export interface ConversationView {
  state: string;
  phase: string;
  mode: string;
  micOpen: boolean;
  turn: number;
}

export interface TurnReport {
  turn: number;
  outcome: string;
  /** The response the turn's reply came from (null when there was none). */
  responseId: string | null;
  heardMs: number | null;
  receivedMs: number | null;
  latencyMs: Record<string, number | null>;
}

/** The board the next test will take, started while the one before it runs (see warmBoards). */
let nextBoard: Promise<VirtualBoard> | undefined;
/** How many more boards the file will take after the one being started (see warmBoards). */
let boardsAhead = 0;

/**
 * For a test file that takes `boards` boards one after another: each after the first is started
 * while the test before it runs (its ~2 s until audio flows overlap that test's services starting,
 * not its real-time part), so the test finds its board ready. None is started beyond `boards`; a
 * spare left when fewer were taken (a -t filter) is stopped after the file's tests. Call it at the
 * top of the file.
 */
export function warmBoards(boards: number): void {
  boardsAhead = boards - 1;
  afterAll(async () => {
    const spare = nextBoard;
    nextBoard = undefined;
    await (await spare?.catch(() => undefined))?.stop();
  });
}

/** A fresh virtual board: the one started ahead when the file warms boards, else started now. */
export async function takeBoard(): Promise<VirtualBoard> {
  const ready = nextBoard;
  nextBoard = undefined;
  // A spare that failed to start is started again here, and says why if it fails again.
  const board = (await ready?.catch(() => undefined)) ?? (await startVirtualBoard());
  if (boardsAhead > 0) {
    boardsAhead -= 1;
    nextBoard = startVirtualBoard();
    nextBoard.catch(() => {});
  }
  return board;
}

/**
 * The whole assistant on a virtual board: the run command with every service, the simulator as
 * the model (espeak-ng's voice), the board's microphone and speaker, a probe on `voxbus/#`.
 * Resolves once the conversation is listening. `extraServices`: the lcd, for the tests that look
 * at the screen.
 */
export async function startBoardStack(
  onCleanup: ReturnType<typeof cleanupAfterEach>,
  env: Record<string, string> = {},
  extraServices: readonly string[] = [],
  /** How the probe logs in (an admin's login when the broker enforces access rules). */
  probeLogin: { username: string; password: string } | undefined = undefined,
): Promise<BoardStack> {
  const board = await takeBoard();
  onCleanup(() => board.stop());
  const ports = await stackPorts();
  const simPort = await freePort();
  const runner = startRunner([...ALL_SERVICES, ...extraServices], {
    ...ports.env,
    ...board.env,
    VOXBUS_LOG__LEVEL: 'warn',
    VOXBUS_REALTIME_SIM__PORT: String(simPort),
    VOXBUS_REALTIME_GATEWAY__SIM_URL: `ws://127.0.0.1:${simPort}`,
    VOXBUS_REALTIME_GATEWAY__RECONNECT_INITIAL_MS: '100',
    VOXBUS_REALTIME_GATEWAY__RECONNECT_MAX_MS: '1000',
    VOXBUS_REALTIME_GATEWAY__TRANSCRIPTION_MODEL: 'whisper-1',
    VOXBUS_AUDIO_CAPTURE__DEVICE: board.micDevice,
    VOXBUS_AUDIO_CAPTURE__REOPEN_INITIAL_MS: '200',
    VOXBUS_PLAYBACK__DEVICE: board.speakerDevice,
    VOXBUS_PLAYBACK__REOPEN_INITIAL_MS: '200',
    ...env,
  });
  onCleanup(() => runner.stop('SIGKILL'));
  await waitForPort(ports.tcpPort, 15_000);
  const probe = await Probe.connect(ports.url, probeLogin ? { ...probeLogin, clientId: `${probeLogin.username}-probe` } : {});
  onCleanup(() => probe.close());
  await probe.subscribe('voxbus/#');
  await probe.waitForJson<ConversationView>('voxbus/conversation/state', (s) => s.state === 'listening' && s.micOpen, 30_000);
  return { board, probe, runner, url: ports.url, wsPort: ports.wsPort };
}

/** Conversation states published after message index `after`, repeats removed. */
export function stateSequence(probe: Probe, after = 0): string[] {
  const states = probe.messages
    .slice(after)
    .filter((m) => m.topic === 'voxbus/conversation/state')
    .map((m) => (m.json as ConversationView).state);
  return states.filter((state, i) => i === 0 || state !== states[i - 1]);
}

/** Waits for the conversation to be listening with the microphone open (after index `after`). */
export function listening(probe: Probe, after = 0, timeoutMs = 20_000): Promise<ConversationView> {
  return probe.waitForJson<ConversationView>('voxbus/conversation/state', (s) => s.state === 'listening' && s.micOpen, timeoutMs, after);
}

export function turnReport(probe: Probe, after = 0, timeoutMs = 30_000): Promise<TurnReport> {
  return probe.waitForJson<TurnReport>('voxbus/conversation/event/turn', () => true, timeoutMs, after);
}

interface DspEcho {
  echo?: { converged: boolean; erleDb: number | null; erlDb: number | null; delayMs: number | null };
}

/**
 * For failure messages: where the conversation and the dsp's canceller stood at the end, and the
 * VAD events (which VAD, when) since index `after`.
 */
export function whereItStood(probe: Probe, after = 0): string {
  const state = probe.messages.slice(after).filter((m) => m.topic === 'voxbus/conversation/state').at(-1)?.json as ConversationView | undefined;
  const dsp = probe.messages.filter((m) => m.topic === 'voxbus/dsp/state').at(-1)?.json as DspEcho | undefined;
  const t0 = probe.messages[after]?.receivedAtMs ?? 0;
  const vad = probe.messages
    .slice(after)
    .filter((m) => m.topic === 'voxbus/realtime-gateway/event/vad' || m.topic === 'voxbus/dsp/event/vad')
    .map((m) => `${m.topic.split('/')[1]} ${(m.json as { kind: string }).kind} @${m.receivedAtMs - t0} ms`);
  return `conversation ${state?.state}/${state?.mode}, dsp echo ${JSON.stringify(dsp?.echo)}, VAD: ${vad.join(', ') || 'none'}`;
}

const AUDIO_TOPICS = ['voxbus/audio/played', 'voxbus/audio/mic', 'voxbus/audio/input'] as const;

/**
 * For failure messages: the level (dBFS, per 50 ms by arrival) of what the speaker played, what
 * the microphone heard and what the model was sent, over the `windowMs` before the message at
 * index `at` (a VAD event nobody spoke for: was it the reply's echo let through?).
 */
export function levelsBefore(probe: Probe, at: number, windowMs = 600): string {
  const endMs = probe.messages[at]?.receivedAtMs ?? 0;
  const bins = Math.ceil(windowMs / 50);
  const rows = AUDIO_TOPICS.map((topic) => {
    const sums = new Float64Array(bins);
    const counts = new Float64Array(bins);
    for (const m of probe.messages) {
      const bin = Math.floor((m.receivedAtMs - (endMs - windowMs)) / 50);
      if (m.topic !== topic || bin < 0 || bin >= bins) continue;
      const frame = decodeAudioFrame(m.payload);
      if (frame.sampleFormat !== 's16le') continue;
      const view = new DataView(frame.pcm.buffer, frame.pcm.byteOffset, frame.pcm.byteLength);
      for (let i = 0; i + 1 < frame.pcm.byteLength; i += 2) sums[bin] = (sums[bin] as number) + (view.getInt16(i, true) / 32768) ** 2;
      counts[bin] = (counts[bin] as number) + frame.pcm.byteLength / 2;
    }
    const levels = Array.from(sums, (sum, i) => ((counts[i] as number) === 0 ? '·' : String(Math.round(10 * Math.log10(sum / (counts[i] as number) + 1e-10)))));
    return `${topic.split('/').at(-1)} ${levels.join(' ')}`;
  });
  return `dBFS per 50 ms over the ${windowMs} ms before: ${rows.join('; ')}`;
}
