import '../lib/no-leftovers.js';
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createFakeFramebuffer } from '@voxbus/lcd/lib';
import { processTree, serviceEnv } from '@voxbus/shared';
import { freePort, speech, startVirtualBoard, type VirtualBoard, waitForPort } from '@voxbus/shared/testing';
import mqtt from 'mqtt';
import { cpuTimeMs, startService } from '../lib/processes.js';
import { BENCH_ROOT, writeResults } from '../lib/results.js';
import { mappingBreakdown, processMemory, unionResidentBytes } from '../lib/resident-pages.js';
import { type ThreadKind, threadCpuMs, threadCpuPercent } from '../lib/thread-cpu.js';
import { type CpuProfile, cpuStages } from './cpu-stages.js';
import { processName, processStartMs } from './process-tree.js';
import { type OnlineStatus, restartEachAlone } from './restart-startup.js';

/**
 * `npm run bench:footprint`: what the whole stack costs a board, as the run command starts it
 * (the runner, its wrapper shells and every board service, broker included), idle and in
 * conversation on the virtual board, the simulator standing in for the cloud model (started
 * apart and not counted: on a board with a key it does not run).
 *
 * Memory as the board pays it: the union of the stack's resident pages, each physical page
 * once however many processes map it (`totalUnionMiB`), and the sum of PSS (`totalPssMiB`,
 * which splits pages shared with processes outside the stack — this benchmark, the simulator —
 * so it reads a little low); CPU as % of one core over the window.
 */
const BOARD_SERVICES = ['broker', 'audio-capture', 'dsp', 'playback', 'realtime-gateway', 'conversation-state', 'lcd'];
const IDLE_SETTLE_MS = 5000;
const IDLE_WINDOW_MS = Number(process.env.BENCH_FOOTPRINT_IDLE_MS ?? 15_000);
const TURNS = Number(process.env.BENCH_FOOTPRINT_TURNS ?? 8);
const SAMPLE_EVERY_MS = 1000;
/** Between one service's restart and the next: its peers' reconnects and its first work done. */
const RESTART_SETTLE_MS = 3000;
const MIB = 1024 * 1024;
const MIC_RATE_HZ = 48_000;

/** Every process started, so that any way out (an error, a signal) stops them. */
const started: ChildProcess[] = [];
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const round1 = (value: number) => Math.round(value * 10) / 10;

interface Sample {
  unionBytes: number | undefined;
  byProcess: { name: string; pid: number; pssBytes: number; rssBytes: number; ussBytes: number }[];
}

function sample(runnerPid: number): Sample {
  const pids = processTree(runnerPid);
  const byProcess = pids.flatMap((pid) => {
    const memory = processMemory(pid);
    return memory === undefined ? [] : [{ name: processName(pid, runnerPid), ...memory }];
  });
  return { unionBytes: unionResidentBytes(pids), byProcess };
}

function cpuByProcess(runnerPid: number): Map<number, { name: string; cpuMs: number; threads: Map<ThreadKind, number> }> {
  const cpu = new Map<number, { name: string; cpuMs: number; threads: Map<ThreadKind, number> }>();
  for (const pid of processTree(runnerPid)) {
    try {
      cpu.set(pid, { name: processName(pid, runnerPid), cpuMs: cpuTimeMs(pid), threads: threadCpuMs(pid) });
    } catch {
      // gone meanwhile
    }
  }
  return cpu;
}

/** Samples memory every second until `until` resolves; CPU over the same window. */
async function measure(runnerPid: number, until: Promise<unknown>) {
  const samples: Sample[] = [];
  const cpuBefore = cpuByProcess(runnerPid);
  const startedMs = Date.now();
  let done = false;
  void until.finally(() => {
    done = true;
  });
  while (!done) {
    samples.push(sample(runnerPid));
    await Promise.race([sleep(SAMPLE_EVERY_MS), until.catch(() => undefined)]);
  }
  await until;
  const seconds = (Date.now() - startedMs) / 1000;
  const cpuAfter = cpuByProcess(runnerPid);
  const names = [...new Set(samples.flatMap((s) => s.byProcess.map((p) => p.name)))].sort();
  const perName = names.map((name) => {
    // A name may cover several processes (the wrapper shells): their figures add up in each sample.
    const per = samples.map((s) => s.byProcess.filter((p) => p.name === name));
    const total = (key: 'pssBytes' | 'rssBytes' | 'ussBytes') => per.map((list) => list.reduce((sum, p) => sum + p[key], 0));
    let cpuMs = 0;
    const threadsBefore = new Map<ThreadKind, number>();
    const threadsAfter = new Map<ThreadKind, number>();
    for (const [pid, after] of cpuAfter) {
      if (after.name !== name) continue;
      cpuMs += after.cpuMs - (cpuBefore.get(pid)?.cpuMs ?? 0);
      for (const [kind, ms] of after.threads) threadsAfter.set(kind, (threadsAfter.get(kind) ?? 0) + ms);
      for (const [kind, ms] of cpuBefore.get(pid)?.threads ?? []) threadsBefore.set(kind, (threadsBefore.get(kind) ?? 0) + ms);
    }
    return {
      name,
      processes: Math.max(...per.map((list) => list.length)),
      pssMiB: { mean: round1(mean(total('pssBytes')) / MIB), max: round1(Math.max(...total('pssBytes')) / MIB) },
      rssMiB: round1(mean(total('rssBytes')) / MIB),
      ussMiB: round1(mean(total('ussBytes')) / MIB),
      cpuPercentOfOneCore: round1((cpuMs / (seconds * 1000)) * 100),
      // Which threads that CPU went to (the JS thread, the audio devices' threads, PulseAudio's client, ...).
      cpuPercentByThread: threadCpuPercent(threadsBefore, threadsAfter, seconds),
    };
  });
  const pssTotals = samples.map((s) => s.byProcess.reduce((sum, p) => sum + p.pssBytes, 0));
  const unions = samples.map((s) => s.unionBytes).filter((u): u is number => u !== undefined);
  return {
    seconds: round1(seconds),
    samples: samples.length,
    totalPssMiB: { mean: round1(mean(pssTotals) / MIB), max: round1(Math.max(...pssTotals) / MIB) },
    totalUnionMiB: unions.length === 0 ? null : { mean: round1(mean(unions) / MIB), max: round1(Math.max(...unions) / MIB) },
    cpuPercentOfOneCore: round1(perName.reduce((sum, p) => sum + p.cpuPercentOfOneCore, 0)),
    services: perName,
  };
}

function mean(values: number[]): number {
  return values.reduce((sum, v) => sum + v, 0) / Math.max(1, values.length);
}

/** How the runner runs the stack: each service its own process or all in one, and with which broker. */
type Mode = 'multi-process' | 'all-in-one' | 'multi-process+mosquitto' | 'all-in-one+mosquitto';

/**
 * The stack as `deploy/run.sh` starts it once set up: the runner, which starts every board
 * service as its own process, or (all-in-one) runs them all inside itself.
 */
async function runStack(board: VirtualBoard, question: Buffer, mode: Mode, profileDir?: string) {
  const simPort = await freePort();
  const brokerPort = await freePort();
  const wsPort = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'voxbus-footprint-'));
  const screen = createFakeFramebuffer(dir, { widthPx: 240, heightPx: 280, bitsPerPixel: 16 });
  const busUrl = `mqtt://127.0.0.1:${brokerPort}`;
  const env = { ...board.env, VOXBUS_BUS__URL: busUrl, VOXBUS_LOG__LEVEL: 'warn' };
  const sim = startService('realtime-sim', { ...env, VOXBUS_REALTIME_SIM__PORT: String(simPort) });
  started.push(sim);
  // The model stands apart (a board with a key runs none): started before the stack, not beside it.
  await waitForPort(simPort, 30_000);
  let runner: ChildProcess | undefined;
  let client: mqtt.MqttClient | undefined;
  try {
    // BENCH_FOOTPRINT_NODE_ARGS: V8 options for the runner (all-in-one: for the services), to try them.
    const nodeArgs = (process.env.BENCH_FOOTPRINT_NODE_ARGS ?? '').split(' ').filter(Boolean);
    if (profileDir !== undefined) nodeArgs.push('--cpu-prof', `--cpu-prof-dir=${profileDir}`);
    runner = spawn(process.execPath, [...nodeArgs, join(BENCH_ROOT, '..', 'deploy', 'runner', 'dist', 'main.js'), ...(mode.startsWith('all-in-one') ? ['--all-in-one'] : []), ...(mode.endsWith('+mosquitto') ? ['--broker', 'mosquitto'] : [])], {
      env: {
        ...process.env,
        ...env,
        ...serviceEnv(process.env),
        VOXBUS_SERVICES: BOARD_SERVICES.join(','),
        VOXBUS_BROKER__TCP_PORT: String(brokerPort),
        VOXBUS_BROKER__WS_PORT: String(wsPort),
        VOXBUS_AUDIO_CAPTURE__DEVICE: board.micDevice,
        VOXBUS_PLAYBACK__DEVICE: board.speakerDevice,
        VOXBUS_REALTIME_GATEWAY__SIM_URL: `ws://127.0.0.1:${simPort}`,
        VOXBUS_LCD__FRAMEBUFFER__DEVICE: screen.device,
        VOXBUS_LCD__FRAMEBUFFER__SYSFS_DIR: screen.sysfsDir,
      },
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    started.push(runner);
    const runnerPid = runner.pid as number;
    const messages: { topic: string; json: Record<string, unknown> }[] = [];
    const waitFor = async (test: (m: { topic: string; json: Record<string, unknown> }) => boolean, from: number, timeoutMs: number, what: string) => {
      for (const deadline = Date.now() + timeoutMs; Date.now() < deadline; await sleep(50)) {
        if (messages.slice(from).some(test)) return;
        if (runner?.exitCode !== null) throw new Error(`bench:footprint: the runner exited (${runner?.exitCode}) while waiting for ${what}`);
      }
      throw new Error(`bench:footprint: no ${what} within ${timeoutMs} ms`);
    };
    // Every 50 ms: a status that came retained is dated when this client connected, so at most that late.
    for (const deadline = Date.now() + 30_000; client === undefined; await sleep(50)) {
      client = await mqtt.connectAsync(busUrl, { protocolVersion: 4, reconnectPeriod: 0 }).catch((error: unknown) => {
        if (Date.now() > deadline) throw error;
        return undefined;
      });
    }
    client.on('error', (error) => console.error(`bench:footprint: the observing MQTT client: ${error.message}`));
    // Start-up: when each service said it was online, against when its process started.
    const online = new Map<string, OnlineStatus>();
    const latestOnline = new Map<string, OnlineStatus>();
    client.on('message', (topic, payload, packet) => {
      const status = /^voxbus\/([^/]+)\/status$/.exec(topic);
      if (status === null) return;
      try {
        const json = JSON.parse(payload.toString()) as { status?: string; pid?: number };
        if (json.status !== 'online' || typeof json.pid !== 'number') return;
        const said = { pid: json.pid, atMs: Date.now(), retained: packet.retain };
        if (!online.has(status[1] as string)) online.set(status[1] as string, said);
        latestOnline.set(status[1] as string, said);
      } catch {
        // not JSON: the status topic's own problem, not this benchmark's
      }
    });
    client.on('message', (topic, payload) => {
      try {
        messages.push({ topic, json: JSON.parse(payload.toString()) as Record<string, unknown> });
      } catch {
        // not JSON: not looked at
      }
    });
    await client.subscribeAsync(['voxbus/conversation/state', 'voxbus/conversation/event/turn', 'voxbus/+/status'], { qos: 0 });
    const listening = (m: { topic: string; json: Record<string, unknown> }) => m.topic === 'voxbus/conversation/state' && m.json.state === 'listening' && m.json.micOpen === true;
    await waitFor(listening, 0, 60_000, 'listening conversation');
    // The conversation can listen before the last status reaches this client (the lcd's, say).
    const expected = BOARD_SERVICES.filter((name) => !(name === 'broker' && mode.endsWith('+mosquitto')));
    for (const deadline = Date.now() + 30_000; !expected.every((name) => online.has(name)); await sleep(50)) {
      if (Date.now() > deadline) throw new Error(`bench:footprint: no online status from ${expected.filter((name) => !online.has(name)).join(', ')} within 30 s`);
    }
    const startup = [...online.entries()]
      .filter(([name]) => BOARD_SERVICES.includes(name))
      .map(([name, { pid, atMs, retained }]) => ({ name, pid, onlineAfterStartMs: atMs - processStartMs(pid), retained }))
      .sort((a, b) => a.name.localeCompare(b.name));
    // The whole stack: the run command's runner starting → the last service online (what a user waits for).
    const lastOnlineMs = Math.max(...[...online.entries()].filter(([name]) => BOARD_SERVICES.includes(name)).map(([, said]) => said.atMs));
    const allOnlineAfterRunnerStartMs = lastOnlineMs - processStartMs(runnerPid);
    await sleep(IDLE_SETTLE_MS);
    process.stderr.write(`bench:footprint (${mode}): idle for ${IDLE_WINDOW_MS / 1000} s…\n`);
    const idle = await measure(runnerPid, sleep(IDLE_WINDOW_MS));
    process.stderr.write(`bench:footprint (${mode}${profileDir === undefined ? '' : ', profiled'}): ${TURNS} spoken turns…\n`);
    const monotonicUs = () => Number(process.hrtime.bigint() / 1000n);
    const conversationFromUs = monotonicUs();
    const conversation = await measure(
      runnerPid,
      (async () => {
        for (let n = 0; n < TURNS; n++) {
          const from = messages.length;
          await board.speak(question, MIC_RATE_HZ);
          await waitFor((m) => m.topic === 'voxbus/conversation/event/turn', from, 30_000, `turn ${n + 1}'s report`);
          await waitFor(listening, from, 30_000, `listening after turn ${n + 1}`);
        }
      })(),
    );
    const conversationWindowUs = [conversationFromUs, monotonicUs()] as const;
    // Where the memory of each process is, at the end of the conversation.
    const mappings = Object.fromEntries(processTree(runnerPid).map((pid) => [`${processName(pid, runnerPid)} (${pid})`, mappingBreakdown(pid, 8)]));
    // In multi-process, each service's start-up once more, alone (the broker's would drop every client).
    let startupAlone: Awaited<ReturnType<typeof restartEachAlone>> | undefined;
    if (mode.startsWith('multi-process') && profileDir === undefined) {
      process.stderr.write(`bench:footprint (${mode}): each service restarted alone…\n`);
      startupAlone = await restartEachAlone(
        BOARD_SERVICES.filter((name) => name !== 'broker'),
        (name) => latestOnline.get(name),
        RESTART_SETTLE_MS,
        30_000,
      );
    }
    return { startup, allOnlineAfterRunnerStartMs, startupAlone, idle, conversation, mappings, conversationWindowUs };
  } finally {
    client?.end(true);
    await stopChild(runner);
    await stopChild(sim);
    rmSync(dir, { recursive: true, force: true });
  }
}

async function stopChild(child: ChildProcess | undefined): Promise<void> {
  if (child === undefined || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
  await exited;
  clearTimeout(timer);
}

// Ctrl-C or a kill of the benchmark stops what it started (the finally blocks below run).
const interrupted = new Promise<never>((_, reject) => {
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => reject(new Error(`bench:footprint: ${signal}`)));
});
void interrupted.catch(() => undefined);

const board = await startVirtualBoard();
const results: Record<string, Omit<Awaited<ReturnType<typeof runStack>>, 'conversationWindowUs'>> = {};
let stages: Awaited<ReturnType<typeof profiledStages>> | undefined;

/**
 * Where the CPU goes, by stage: the all-in-one stack once more, under V8's profiler (so its own
 * figures are not the mode's), the conversation's samples charged to the stages of the stack.
 */
async function profiledStages(question: Buffer) {
  const profileDir = mkdtempSync(join(tmpdir(), 'voxbus-footprint-profile-'));
  try {
    const run = await Promise.race([runStack(board, question, 'all-in-one', profileDir), interrupted]);
    const file = readdirSync(profileDir).find((name) => name.endsWith('.cpuprofile'));
    if (file === undefined) throw new Error(`bench:footprint: the profiled all-in-one process wrote no CPU profile into ${profileDir}`);
    const profile = JSON.parse(readFileSync(join(profileDir, file), 'utf8')) as CpuProfile;
    const [fromUs, toUs] = run.conversationWindowUs;
    return {
      mode: 'all-in-one' as const,
      threadsPercentOfOneCore: run.conversation.services.find((s) => s.name === 'runner')?.cpuPercentByThread ?? {},
      jsThread: cpuStages(profile, fromUs, toUs, join(BENCH_ROOT, '..')),
    };
  } finally {
    rmSync(profileDir, { recursive: true, force: true });
  }
}
try {
  const question = await speech('What will the weather be like tomorrow?', MIC_RATE_HZ);
  const modes = (process.env.BENCH_FOOTPRINT_MODES ?? 'multi-process,all-in-one,multi-process+mosquitto,all-in-one+mosquitto').split(',') as Mode[];
  for (const mode of modes) {
    const { conversationWindowUs: _, ...figures } = await Promise.race([runStack(board, question, mode), interrupted]);
    results[mode] = figures;
  }
  if (process.env.BENCH_FOOTPRINT_STAGES !== '0') stages = await profiledStages(question);
} finally {
  await Promise.all(started.map(stopChild));
  await board.stop();
}

const path = writeResults('footprint', {
  method:
    'the run command\'s runner (deploy/runner) starting the 7 board services on the virtual board (multi-process: each its own process; all-in-one: inside the runner; +mosquitto: Mosquitto in place of the broker service), the simulator apart (not counted); memory sampled every second from /proc (smaps_rollup for PSS/RSS/USS, pagemap for the union of resident pages), CPU from /proc/PID/stat over the window; idle: after the conversation first listens and 5 s more; conversation: spoken questions answered one after the other',
  goals: { multiProcessUnionMiB: 150, allInOneUnionMiB: 70, conversationCpuPercentOfOneCore: 10 },
  modes: results,
  cpuStages: stages ?? null,
});
for (const [mode, { startup, allOnlineAfterRunnerStartMs }] of Object.entries(results)) {
  const said = startup.map((s) => `${s.name} ${s.onlineAfterStartMs}${s.retained ? ' (retained: at most)' : ''}`).join(', ');
  console.log(`\n${mode}, online after its process started, ms: ${said}; all online ${allOnlineAfterRunnerStartMs} ms after the runner started`);
}
for (const [mode, { startupAlone }] of Object.entries(results)) {
  if (startupAlone === undefined) continue;
  console.log(`\n${mode}, each restarted alone, online after its process started, ms: ${startupAlone.map((s) => `${s.name} ${s.onlineAfterStartMs}`).join(', ')}`);
}
for (const [mode, { idle, conversation }] of Object.entries(results)) {
  for (const [phase, figures] of Object.entries({ idle, conversation })) {
    console.log(`\n${mode}, ${phase} (${figures.seconds} s): union ${figures.totalUnionMiB?.mean ?? '?'} MiB (max ${figures.totalUnionMiB?.max ?? '?'}), PSS ${figures.totalPssMiB.mean} MiB, CPU ${figures.cpuPercentOfOneCore} % of one core`);
    console.log('  process              n   PSS MiB   RSS MiB   USS MiB   CPU %');
    for (const s of figures.services) {
      console.log(`  ${s.name.padEnd(20)}${String(s.processes).padStart(2)}${s.pssMiB.mean.toFixed(1).padStart(10)}${s.rssMiB.toFixed(1).padStart(10)}${s.ussMiB.toFixed(1).padStart(10)}${s.cpuPercentOfOneCore.toFixed(1).padStart(8)}`);
    }
  }
}
if (stages !== undefined) {
  const { jsThread, threadsPercentOfOneCore } = stages;
  console.log(`\nall-in-one under the profiler (its sampling thread is one of Node's workers), conversation (${jsThread.seconds} s), % of one core by thread: ${Object.entries(threadsPercentOfOneCore).map(([kind, percent]) => `${kind} ${percent}`).join(', ')}`);
  console.log(`the JS thread's ${jsThread.busyPercentOfOneCore} % by stage (% of one core, % of its busy time):`);
  for (const s of jsThread.stages) console.log(`  ${s.stage.padEnd(48)}${s.percentOfOneCore.toFixed(2).padStart(7)}${s.percentOfBusy.toFixed(1).padStart(8)}`);
}
console.log(`\nwritten to ${path}`);
