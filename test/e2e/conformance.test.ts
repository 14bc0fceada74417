import { AUDIO_CAPTURE_DUTIES, CONVERSATION_DUTIES, DSP_DUTIES, decodeAudioFrame, type Duty, encodeAudioFrame, GATEWAY_DUTIES, LCD_DUTIES, type Payload, PLAYBACK_DUTIES } from '@voxbus/shared';
import { freePort, speech, waitForPort } from '@voxbus/shared/testing';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { startBoardStack, takeBoard, type TurnReport, turnReport, warmBoards, whereItStood } from '../helpers/board-stack.js';
import { cleanupAfterEach } from '../helpers/cleanup.js';
import { Probe } from '../helpers/probe.js';
import { formatResult, runConformance } from '../../shared/src/conformance/index.js';
import { type Mangle, type RelayedService, startManglingRelay } from '../helpers/mangling-relay.js';
import { REPO_ROOT, type Spawned, spawnNode, stackPorts, startRunner } from '../helpers/processes.js';

const onCleanup = cleanupAfterEach();
warmBoards(6);
/** How many instances of a service take the broken variants at once. */
const LANES = 6;
/** The services that open a sound device: only they are given a virtual board. */
const ON_THE_BOARD: readonly KitService[] = ['playback', 'audio-capture'];
/** The standard library modules the Python example may import; beyond them, only Debian's python3-paho-mqtt and python3-alsaaudio. */
const PYTHON_STDLIB = new Set(['json', 'math', 'os', 'signal', 'socket', 'struct', 'sys', 'threading', 'time', 'collections', 'urllib']);
/** A kit's rules: the duties the contract doc states (shared/src/contract/duties.ts). */
const rulesOf = (duties: readonly Duty[]) => duties.flatMap((duty) => (duty.rule ? [duty.rule] : []));

type KitService = RelayedService;

/** The states in which a service is ready for its kit (connected, its device open), where it has such a state: the contract's names, checked by the compiler. */
const READY_STATES: Partial<Record<KitService, readonly string[]>> & { readonly [S in 'realtime-gateway' | 'audio-capture' | 'playback']: readonly Payload<`${S}.state`>['state'][] } = {
  'realtime-gateway': ['connected'],
  'audio-capture': ['capturing', 'muted'],
  playback: ['idle', 'playing'],
};

/**
 * Broker and the service, on a virtual board when it opens a sound device (playback, audio-capture;
 * the others' kits stand in for the audio, and a board's daemon would only take start-up time and
 * CPU); the service under `baseTopic`.
 */
async function serviceStack(
  service: KitService,
  baseTopic: string,
  extraEnv: Record<string, string> = {},
): Promise<{ url: string; env: Record<string, string>; runner: Spawned; startTwin: (base: string) => Promise<void> }> {
  const board = ON_THE_BOARD.includes(service) ? await takeBoard() : undefined;
  if (board) onCleanup(() => board.stop());
  const ports = await stackPorts();
  const env = { ...ports.env, ...board?.env, VOXBUS_LOG__LEVEL: 'warn' };
  const simPort = await freePort();
  // The gateway's model is the simulator, its replies streamed at real time so a cancel lands mid-reply.
  const gateway = {
    VOXBUS_REALTIME_SIM__PORT: String(simPort),
    VOXBUS_REALTIME_SIM__REALTIME_FACTOR: '1',
    VOXBUS_REALTIME_GATEWAY__SIM_URL: `ws://127.0.0.1:${simPort}`,
  };
  // The lcd draws into a PNG file of each instance's own, no framebuffer.
  const pictures = mkdtempSync(join(tmpdir(), 'voxbus-kit-lcd-'));
  onCleanup(() => rmSync(pictures, { recursive: true, force: true }));
  const device = (base: string) =>
    ({
      playback: { VOXBUS_PLAYBACK__DEVICE: board?.speakerDevice ?? '' },
      'audio-capture': { VOXBUS_AUDIO_CAPTURE__DEVICE: board?.micDevice ?? '' },
      dsp: {},
      'realtime-gateway': gateway,
      'conversation-state': {},
      lcd: { VOXBUS_LCD__FRAMEBUFFER__DEVICE: '', VOXBUS_LCD__PNG__PATH: join(pictures, `${base}.png`) },
    })[service];
  const services = service === 'realtime-gateway' ? ['broker', 'realtime-sim', service] : ['broker', service];
  const runner = startRunner(services, { ...env, ...device(baseTopic), VOXBUS_BUS__BASE_TOPIC: baseTopic, ...extraEnv });
  onCleanup(() => runner.stop('SIGKILL'));
  await waitForPort(ports.tcpPort, 15_000);
  /**
   * Online, the gateway connected to the simulator and a device's service with its device open:
   * the kit gives a service three seconds to say it is connected or open, which must measure the
   * service, not six instances starting on two cores (a twin online but still connecting failed
   * CI's state.connected once; one still opening the virtual microphone, state.capturing once).
   */
  const ready = async (base: string) => {
    const probe = await Probe.connect(ports.url);
    onCleanup(() => probe.close());
    await probe.subscribe(`${base}/${service}/status`);
    await probe.waitForJson<{ status: string }>(`${base}/${service}/status`, (status) => status.status === 'online', 15_000);
    const readyStates = READY_STATES[service];
    if (readyStates === undefined) return;
    await probe.subscribe(`${base}/${service}/state`);
    await probe.waitForJson<{ state: string }>(`${base}/${service}/state`, (state) => readyStates.includes(state.state), 15_000);
  };
  /** Another instance of the service under its own base topic, beside the first (ready when this resolves). */
  const startTwin = async (base: string) => {
    const twin = spawnNode(`services/${service}/dist/main.js`, [], { ...env, ...device(base), VOXBUS_BUS__BASE_TOPIC: base });
    onCleanup(() => twin.stop('SIGKILL'));
    await ready(base);
  };
  await ready(baseTopic);
  return { url: ports.url, env, runner, startTwin };
}

interface KitRun {
  code: number | string;
  lines: string[];
  verdicts: Map<string, 'PASS' | 'FAIL'>;
}

/** The `voxbus conformance <service>` command, as a user runs it. */
async function conformance(service: KitService, env: Record<string, string>, args: string[], timeoutMs = 60_000): Promise<KitRun> {
  const kit: Spawned = spawnNode('shared/dist/cli/voxbus.js', ['conformance', service, ...args], env);
  onCleanup(() => kit.stop('SIGKILL'));
  const timer = setTimeout(() => void kit.stop('SIGKILL'), timeoutMs);
  const code = await kit.exited;
  clearTimeout(timer);
  const verdicts = new Map<string, 'PASS' | 'FAIL'>();
  for (const line of kit.lines) {
    const match = /^(PASS|FAIL) (\S+) — /.exec(line);
    if (match) verdicts.set(match[2] as string, match[1] as 'PASS' | 'FAIL');
  }
  return { code, lines: kit.lines, verdicts };
}

const json = (payload: Buffer) => JSON.parse(payload.toString()) as Record<string, unknown>;
const asBytes = (value: unknown) => Buffer.from(JSON.stringify(value));
const dropEvent =
  (kind: string): Mangle =>
  (path, payload) =>
    path === 'playback/event/item' && json(payload).kind === kind ? undefined : payload;
const dropPath =
  (dropped: string): Mangle =>
  (path, payload) =>
    path === dropped ? undefined : payload;

/** After a flush, frames still arriving for what was flushed are renamed, so playback takes them for new audio and plays them. */
function replayAfterFlush(): Mangle {
  let flushed = false;
  return (path, payload) => {
    if (path === 'playback/cmd/flush') flushed = true;
    if (!flushed || path !== 'audio/output') return payload;
    const frame = decodeAudioFrame(payload);
    if (!frame.item) return payload;
    return encodeAudioFrame({ ...frame, item: { ...frame.item, itemId: `${frame.item.itemId}-late`, responseId: `${frame.item.responseId}-late` } });
  };
}

interface Broken {
  rule: string;
  scenario: string;
  how: string;
  mangle: () => Mangle;
}

/** A service whose status says it stopped while it runs. */
const saysStopped = (service: KitService, scenario: string): Broken => ({
  rule: 'status.online',
  scenario,
  how: 'says it stopped',
  mangle: () => (path, payload) => (path === `${service}/status` ? asBytes({ ...json(payload), status: 'offline', reason: 'stopped' }) : payload),
});
/** A service that adds a field its topic's schema does not have. */
const addsAField = (topicPath: string, scenario: string, what: string): Broken => ({
  rule: 'messages.valid',
  scenario,
  how: `adds a field to ${what}`,
  mangle: () => (path, payload) => (path === topicPath ? asBytes({ ...json(payload), colour: 'blue' }) : payload),
});

/** Each rule, the scenario that checks it, and a playback broken for it (the project's, through a relay). */
const BROKEN_PLAYBACK: Broken[] = [
  saysStopped('playback', 'play'),
  {
    rule: 'state.idle',
    scenario: 'play',
    how: 'never leaves opening',
    mangle: () => (path, payload) => (path === 'playback/state' ? asBytes({ ...json(payload), state: 'opening', granted: null }) : payload),
  },
  { rule: 'describe.answers', scenario: 'play', how: 'ignores describe', mangle: () => dropPath('playback/req/describe') },
  {
    rule: 'played.continuous',
    scenario: 'play',
    how: 'loses every 7th reference frame',
    mangle: () => (path, payload) => (path === 'audio/played' && decodeAudioFrame(payload).sequence % 7 === 0 ? undefined : payload),
  },
  { rule: 'play.started', scenario: 'play', how: 'never says started', mangle: () => dropEvent('started') },
  { rule: 'play.positions', scenario: 'play', how: 'never says where it is', mangle: () => dropEvent('position') },
  { rule: 'play.drained', scenario: 'play', how: 'never says drained', mangle: () => dropEvent('drained') },
  {
    rule: 'play.state',
    scenario: 'play',
    how: 'never says playing',
    mangle: () => (path, payload) => (path === 'playback/state' && json(payload).state === 'playing' ? asBytes({ ...json(payload), state: 'idle' }) : payload),
  },
  {
    rule: 'play.heard',
    scenario: 'play',
    how: 'reports a reference 12 dB below what it played',
    mangle: () => (path, payload) => {
      if (path !== 'audio/played') return payload;
      const frame = decodeAudioFrame(payload);
      const pcm = Buffer.from(frame.pcm);
      for (let i = 0; i < pcm.length; i += 2) pcm.writeInt16LE(Math.trunc(pcm.readInt16LE(i) / 4), i);
      return encodeAudioFrame({ ...frame, pcm });
    },
  },
  {
    rule: 'flush.flushed',
    scenario: 'flush',
    how: 'reports half of what was heard at a flush',
    mangle: () => (path, payload) => {
      if (path !== 'playback/event/item') return payload;
      const event = json(payload);
      return event.kind === 'flushed' ? asBytes({ ...event, heardMs: Math.floor((event.heardMs as number) / 2) }) : payload;
    },
  },
  { rule: 'flush.silent', scenario: 'flush', how: 'ignores flush', mangle: () => dropPath('playback/cmd/flush') },
  { rule: 'flush.late-frames', scenario: 'flush', how: 'plays frames that arrive after a flush', mangle: replayAfterFlush },
  { rule: 'pause.holds', scenario: 'pause', how: 'ignores pause', mangle: () => dropPath('playback/cmd/pause') },
  { rule: 'earcon.plays', scenario: 'earcon', how: 'ignores earcons', mangle: () => dropPath('playback/cmd/earcon') },
  { rule: 'volume.applies', scenario: 'volume', how: 'ignores volume', mangle: () => dropPath('playback/cmd/volume') },
  { rule: 'mute.applies', scenario: 'mute', how: 'ignores mute', mangle: () => dropPath('playback/cmd/mute') },
  { rule: 'metrics.published', scenario: 'play', how: 'publishes no metrics', mangle: () => dropPath('playback/metrics') },
  addsAField('playback/state', 'play', 'its state'),
];

/** The same for audio-capture. */
const BROKEN_CAPTURE: Broken[] = [
  saysStopped('audio-capture', 'mute'),
  {
    rule: 'state.capturing',
    scenario: 'mute',
    how: 'never leaves opening',
    mangle: () => (path, payload) => (path === 'audio-capture/state' ? asBytes({ ...json(payload), state: 'opening', granted: null }) : payload),
  },
  { rule: 'describe.answers', scenario: 'mute', how: 'ignores describe', mangle: () => dropPath('audio-capture/req/describe') },
  {
    rule: 'mic.continuous',
    scenario: 'mute',
    how: 'loses every 7th frame',
    mangle: () => (path, payload) => (path === 'audio/mic' && decodeAudioFrame(payload).sequence % 7 === 0 ? undefined : payload),
  },
  {
    rule: 'mic.timestamps',
    scenario: 'mute',
    how: 'stamps its frames 2 s early (another clock)',
    mangle: () => (path, payload) => {
      if (path !== 'audio/mic') return payload;
      const frame = decodeAudioFrame(payload);
      return encodeAudioFrame({ ...frame, captureTimeUs: frame.captureTimeUs - 2_000_000 });
    },
  },
  { rule: 'mute.stops', scenario: 'mute', how: 'ignores mute', mangle: () => dropPath('audio-capture/cmd/mute') },
  { rule: 'metrics.published', scenario: 'mute', how: 'publishes no metrics', mangle: () => dropPath('audio-capture/metrics') },
  addsAField('audio-capture/state', 'mute', 'its state'),
];

/** The same for the dsp. */
const BROKEN_DSP: Broken[] = [
  saysStopped('dsp', 'mute'),
  { rule: 'describe.answers', scenario: 'mute', how: 'ignores describe', mangle: () => dropPath('dsp/req/describe') },
  {
    rule: 'state.running',
    scenario: 'mute',
    how: 'never says it runs',
    mangle: () => (path, payload) => (path === 'dsp/state' ? asBytes({ ...json(payload), state: 'waiting', input: null }) : payload),
  },
  {
    rule: 'input.continuous',
    scenario: 'mute',
    how: 'loses every 7th frame',
    mangle: () => (path, payload) => (path === 'audio/input' && decodeAudioFrame(payload).sequence % 7 === 0 ? undefined : payload),
  },
  {
    rule: 'input.timely',
    scenario: 'mute',
    how: 'stamps its frames by its own clock, 2 s off',
    mangle: () => (path, payload) => {
      if (path !== 'audio/input') return payload;
      const frame = decodeAudioFrame(payload);
      return encodeAudioFrame({ ...frame, captureTimeUs: frame.captureTimeUs - 2_000_000 });
    },
  },
  {
    rule: 'input.carries-sound',
    scenario: 'mute',
    how: 'sends silence',
    mangle: () => (path, payload) => (path === 'audio/input' ? encodeAudioFrame({ ...decodeAudioFrame(payload), pcm: new Uint8Array(decodeAudioFrame(payload).pcm.length) }) : payload),
  },
  { rule: 'levels.published', scenario: 'mute', how: 'publishes no levels', mangle: () => dropPath('dsp/event/levels') },
  { rule: 'mute.withholds', scenario: 'mute', how: 'ignores mute', mangle: () => dropPath('dsp/cmd/mute') },
  { rule: 'metrics.published', scenario: 'mute', how: 'publishes no metrics', mangle: () => dropPath('dsp/metrics') },
  addsAField('dsp/state', 'mute', 'its state'),
];

/** The same for the realtime gateway (its model the simulator). */
const BROKEN_GATEWAY: Broken[] = [
  saysStopped('realtime-gateway', 'say'),
  { rule: 'describe.answers', scenario: 'say', how: 'ignores describe', mangle: () => dropPath('realtime-gateway/req/describe') },
  {
    rule: 'state.connected',
    scenario: 'say',
    how: 'never says it is connected',
    mangle: () => (path, payload) => (path === 'realtime-gateway/state' ? asBytes({ ...json(payload), state: 'connecting' }) : payload),
  },
  {
    rule: 'say.answers',
    scenario: 'say',
    how: 'never says a response is done',
    mangle: () => (path, payload) => (path === 'realtime-gateway/event/response' && json(payload).kind === 'done' ? undefined : payload),
  },
  {
    rule: 'output.tagged',
    scenario: 'say',
    how: 'loses every 7th frame of the answer',
    mangle: () => (path, payload) => (path === 'audio/output' && decodeAudioFrame(payload).sequence % 7 === 3 ? undefined : payload),
  },
  { rule: 'truncate.applies', scenario: 'say', how: 'ignores truncate', mangle: () => dropPath('realtime-gateway/cmd/truncate') },
  { rule: 'cancel.stops', scenario: 'cancel', how: 'ignores cancel', mangle: () => dropPath('realtime-gateway/cmd/cancel') },
  { rule: 'metrics.published', scenario: 'say', how: 'publishes no metrics', mangle: () => dropPath('realtime-gateway/metrics') },
  addsAField('realtime-gateway/state', 'say', 'its state'),
];

/** The same for conversation-state (the kit stands in for everything it listens to). */
const BROKEN_CONVERSATION: Broken[] = [
  saysStopped('conversation-state', 'turn'),
  { rule: 'describe.answers', scenario: 'turn', how: 'ignores describe', mangle: () => dropPath('conversation-state/req/describe') },
  {
    rule: 'state.listening',
    scenario: 'turn',
    how: 'never says the microphone is open',
    mangle: () => (path, payload) => (path === 'conversation/state' ? asBytes({ ...json(payload), micOpen: false }) : payload),
  },
  {
    rule: 'turn.states',
    scenario: 'turn',
    how: 'never says it is waiting for the reply',
    mangle: () => (path, payload) => (path === 'conversation/state' && json(payload).state === 'waiting' ? undefined : payload),
  },
  {
    rule: 'commands.not-repeated',
    scenario: 'startup',
    how: 'unmutes the speaker with each metrics',
    mangle: () => (path, payload) => (path === 'conversation-state/metrics' ? [{ path: 'playback/cmd/unmute', payload: asBytes({}) }, { path, payload }] : payload),
  },
  { rule: 'turn.report', scenario: 'turn', how: 'reports no turns', mangle: () => dropPath('conversation/event/turn') },
  { rule: 'barge-in.stops', scenario: 'barge-in', how: 'never flushes playback', mangle: () => dropPath('playback/cmd/flush') },
  { rule: 'barge-in.pauses', scenario: 'barge-in', how: 'never pauses playback', mangle: () => dropPath('playback/cmd/pause') },
  {
    rule: 'barge-in.truncates',
    scenario: 'barge-in',
    how: 'truncates 100 ms later than was heard',
    mangle: () => (path, payload) => (path === 'realtime-gateway/cmd/truncate' ? asBytes({ ...json(payload), audioEndMs: (json(payload).audioEndMs as number) + 100 }) : payload),
  },
  { rule: 'mute.user', scenario: 'mute', how: 'never shuts the microphone', mangle: () => dropPath('audio-capture/cmd/mute') },
  { rule: 'metrics.published', scenario: 'turn', how: 'publishes no metrics', mangle: () => dropPath('conversation-state/metrics') },
  addsAField('conversation/state', 'turn', 'its state'),
];

/** The same for the lcd (the kit stands in for what it draws). */
const BROKEN_LCD: Broken[] = [
  saysStopped('lcd', 'startup'),
  { rule: 'describe.answers', scenario: 'startup', how: 'ignores describe', mangle: () => dropPath('lcd/req/describe') },
  {
    rule: 'draws.changes',
    scenario: 'draw',
    how: 'never draws',
    mangle: () => (path, payload) => {
      if (path !== 'lcd/metrics') return payload;
      const metrics = json(payload) as { counters: Record<string, number> };
      return asBytes({ ...metrics, counters: { ...metrics.counters, 'frames.drawn': 0 } });
    },
  },
  {
    rule: 'bad-input.survives',
    scenario: 'bad-input',
    how: 'does not count what it drops',
    mangle: () => (path, payload) => {
      if (path !== 'lcd/metrics') return payload;
      const metrics = json(payload) as { bus: Record<string, unknown> };
      return asBytes({ ...metrics, bus: { ...metrics.bus, invalidReceived: {} } });
    },
  },
  { rule: 'metrics.published', scenario: 'startup', how: 'publishes no metrics', mangle: () => dropPath('lcd/metrics') },
  addsAField('lcd/metrics', 'startup', 'its metrics'),
  {
    rule: 'publishes.only-own',
    scenario: 'startup',
    how: 'mutes the speaker before each metrics',
    // Before, not after: the kit judges this rule once the metrics have come.
    mangle: () => (path, payload) => (path === 'lcd/metrics' ? [{ path: 'playback/cmd/mute', payload: asBytes({}) }, { path, payload }] : payload),
  },
];

/** Every service's Last Will, broken the same way: the broker's offline for it never reaches the kit. */
const brokenLastWill = (service: KitService): Broken => ({
  rule: 'status.last-will',
  scenario: 'last-will',
  how: 'has no Last Will',
  mangle: () => (path, payload) => (path === `${service}/status` && json(payload).status === 'offline' ? undefined : payload),
});

const KITS: [KitService, readonly Duty[], Broken[]][] = [
  ['playback', PLAYBACK_DUTIES, [...BROKEN_PLAYBACK, brokenLastWill('playback')]],
  ['audio-capture', AUDIO_CAPTURE_DUTIES, [...BROKEN_CAPTURE, brokenLastWill('audio-capture')]],
  ['dsp', DSP_DUTIES, [...BROKEN_DSP, brokenLastWill('dsp')]],
  ['realtime-gateway', GATEWAY_DUTIES, [...BROKEN_GATEWAY, brokenLastWill('realtime-gateway')]],
  ['conversation-state', CONVERSATION_DUTIES, [...BROKEN_CONVERSATION, brokenLastWill('conversation-state')]],
  ['lcd', LCD_DUTIES, [...BROKEN_LCD, brokenLastWill('lcd')]],
];

describe.each(KITS)('voxbus conformance %s', (service, duties, brokenVariants) => {
  const rules = rulesOf(duties);

  it('passes every rule against the project service, on the virtual board', async () => {
    const { env } = await serviceStack(service, 'voxbus');
    const run = await conformance(service, env, ['--kill']);
    expect(run.lines.join('\n')).toContain(`${service}: all ${rules.length} rules pass`);
    expect([...run.verdicts.keys()]).toEqual(rules);
    expect(run.code, run.lines.join('\n')).toBe(0);
  }, 90_000);

  it('fails, naming the rule, against a service broken for each rule', async () => {
    expect(brokenVariants.map((b) => b.rule).sort()).toEqual([...rules].sort());
    // Several instances of the service, each taking its share of the broken variants: the kit
    // mostly waits (for timeouts the broken variants run into), so they share the two cores well.
    const { url, env, startTwin } = await serviceStack(service, 'real0');
    await Promise.all(Array.from({ length: LANES - 1 }, (_, i) => startTwin(`real${i + 1}`)));
    const missed: string[] = [];
    // Each lane takes the next variant as soon as it is free (their lengths differ 5-fold: a
    // timeout the broken one runs into, or none), so no lane waits on a long queue of its own.
    const waiting = [...brokenVariants.entries()];
    const lane = async (laneIndex: number) => {
      for (let next = waiting.shift(); next !== undefined; next = waiting.shift()) await tryBroken(next[0], next[1], `real${laneIndex}`);
    };
    const tryBroken = async (index: number, broken: Broken, laneBase: string) => {
      const kitBase = `kit${index}`;
      // The Last Will's check kills the service: an instance of its own, not the lane's.
      const kills = broken.scenario === 'last-will';
      const candidateBase = kills ? `doomed${index}` : laneBase;
      if (kills) await startTwin(candidateBase);
      const relay = await startManglingRelay(url, service, kitBase, candidateBase, broken.mangle());
      // In this process (the command itself is run by the test above): the service is already up,
      // so three seconds is ample for it to reach its first state with four instances busy at
      // once on two cores, and the metrics come every 500 ms.
      const results = await runConformance({
        service,
        url,
        baseTopic: kitBase,
        only: [broken.scenario],
        kill: kills,
        startTimeoutMs: 3000,
        metricsTimeoutMs: Number(env.VOXBUS_METRICS_INTERVAL_MS) * 2 + 200,
      }).finally(() => relay.close());
      const verdict = results.find((r) => r.rule === broken.rule);
      if (verdict?.ok !== false) {
        missed.push(`a ${service} that ${broken.how}: ${broken.rule} ${verdict ? 'PASS' : 'not judged'}\n  ${results.map(formatResult).join('\n  ')}`);
      }
    };
    await Promise.all(Array.from({ length: LANES }, (_, i) => lane(i)));
    expect(missed, missed.join('\n')).toEqual([]);
  }, 240_000);
});

describe('a playback in another language', () => {
  it('passes every rule: the Python example, run by the run command in the project playback\'s place', async () => {
    const { env, runner } = await serviceStack('playback', 'voxbus', { VOXBUS_REPLACE_PLAYBACK: '/usr/bin/python3 examples/playback-python/playback.py' });
    const run = await conformance('playback', env, ['--kill']);
    const rules = rulesOf(PLAYBACK_DUTIES);
    expect(runner.lines).toContain('[runner] playback is replaced by: /usr/bin/python3 examples/playback-python/playback.py');
    expect(run.lines.join('\n'), `the Python playback's own lines:\n${runner.lines.filter((l) => l.startsWith('[playback]')).join('\n')}`).toContain(
      `playback: all ${rules.length} rules pass`,
    );
    expect(run.code).toBe(0);
  }, 90_000);

  it('stays under 300 lines, on Debian packages only', () => {
    const source = readFileSync(join(REPO_ROOT, 'examples/playback-python/playback.py'), 'utf8');
    expect(source.split('\n').length - 1, 'lines of examples/playback-python/playback.py').toBeLessThan(300);
    const imports = [...source.matchAll(/^(?:import (.+)|from (\S+) import .*)$/gm)].flatMap((m) =>
      (m[1] ?? m[2] ?? '').split(',').map((name) => name.trim().split(/[.\s]/)[0] as string),
    );
    expect([...new Set(imports)].filter((name) => !PYTHON_STDLIB.has(name)).sort()).toEqual(['alsaaudio', 'paho']);
  });
});

/** For failure messages: what playback, the gateway and conversation-state said of the reply since `start`, timed from it (positions left out). */
function replyEvents(probe: Probe, start: number): string {
  const t0 = probe.messages[start]?.receivedAtMs ?? 0;
  const topics = ['voxbus/playback/event/item', 'voxbus/playback/state', 'voxbus/realtime-gateway/event/response', 'voxbus/conversation/event/turn'];
  return probe.messages
    .slice(start)
    .filter((m) => topics.includes(m.topic) && (m.json as { kind?: string }).kind !== 'position')
    .map((m) => {
      const e = m.json as Record<string, unknown>;
      const what = [e.kind ?? e.state ?? e.outcome, e.itemId ?? e.responseId, e.status, e.heardMs, e.receivedMs, e.audioMs].filter((v) => v !== undefined && v !== null);
      return `${m.topic.replace('voxbus/', '')} ${what.join(' ')} @${m.receivedAtMs - t0}`;
    })
    .join(', ');
}

describe('the whole assistant with the Python playback', () => {
  it('answers a spoken question and is interrupted by a voice over the reply, truncated to what was heard', async () => {
    const { board, probe, runner } = await startBoardStack(onCleanup, {
      VOXBUS_REPLACE_PLAYBACK: '/usr/bin/python3 examples/playback-python/playback.py',
      VOXBUS_CONVERSATION_STATE__MODE: 'full-duplex',
      VOXBUS_REALTIME_SIM__REALTIME_FACTOR: '2',
      VOXBUS_REALTIME_SIM__REPLY_TEMPLATE: 'You spoke for {seconds} seconds. Tomorrow will be mostly sunny in the morning, with clouds building in the afternoon and a chance of showers in the evening.',
    });
    expect(runner.lines).toContain('[runner] playback is replaced by: /usr/bin/python3 examples/playback-python/playback.py');
    const question = await speech('What will the weather be like tomorrow?', 48_000);
    const start = probe.messages.length;
    await board.speak(question, 48_000);
    const playing = await probe.waitForJson<{ kind: string; itemId: string; heardMs: number }>(
      'voxbus/playback/event/item',
      (e) => e.kind === 'position' && !e.itemId.startsWith('earcon:') && e.heardMs > 1500,
      20_000,
      start,
    );
    await board.speak(await speech('Stop, stop. Thank you.', 48_000), 48_000);
    const report = await turnReport(probe, start);
    expect(report.outcome, `the voice over the reply (${whereItStood(probe, start)}; ${replyEvents(probe, start)})`).toBe('interrupted');
    const flushed = await probe.waitForJson<{ kind: string; itemId: string; heardMs: number }>('voxbus/playback/event/item', (e) => e.kind === 'flushed' && e.itemId === playing.itemId, 5000, start);
    const truncated = await probe.waitForJson<{ item_id: string; audio_end_ms: number }>('voxbus/realtime-gateway/event/raw/conversation.item.truncated', () => true, 5000, start);
    expect(truncated).toMatchObject({ item_id: playing.itemId, audio_end_ms: flushed.heardMs });
    // The turn says what was heard when the voice cut in; the flush adds what the device still held.
    expect(Math.abs((report.heardMs ?? 0) - flushed.heardMs), `turn heardMs ${report.heardMs}, flushed at ${flushed.heardMs}`).toBeLessThan(150);
    // What the person said over the reply is answered in full through the Python playback (the
    // server's VAD may take "Stop, stop." and "Thank you." for two turns: the first is then `continued`).
    const reportAt = probe.messages.findIndex((m, index) => index >= start && m.topic === 'voxbus/conversation/event/turn');
    await probe.waitForJson<TurnReport>('voxbus/conversation/event/turn', (t) => t.outcome === 'answered', 30_000, reportAt + 1).catch(() => {
      const outcomes = probe.messages.slice(reportAt + 1).filter((m) => m.topic === 'voxbus/conversation/event/turn').map((m) => (m.json as TurnReport).outcome);
      throw new Error(`no later turn answered (outcomes: ${outcomes.join(', ') || 'none'}; ${whereItStood(probe, reportAt)})`);
    });
  }, 90_000);
});
