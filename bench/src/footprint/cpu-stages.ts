import { existsSync, readFileSync } from 'node:fs';
import { SourceMap } from 'node:module';
import { dirname, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * Where the JS thread's time goes, by stage of the stack, from a V8 CPU profile (`--cpu-prof`)
 * of the all-in-one process: each sample is charged to the innermost frame whose source says
 * what it is. Bundled code is traced back to its sources through the bundle's source map
 * (deploy/bundle-all-in-one.mjs writes them); Node's own functions (streams, timers, a native
 * call such as a socket's write) are charged to the code that called them. Time inside an
 * addon's native function counts for the JS function that called it (V8 sees no deeper).
 */
interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
  columnNumber: number;
}
interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  children?: number[];
}
export interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

/** Stages, in the order a source is tested against them: the first that matches is its stage. */
const SOURCE_STAGES: readonly (readonly [string, RegExp])[] = [
  ['audio devices (ALSA addon)', /^native\/alsa\//],
  [
    'bus (broker, MQTT, delivery in process)',
    /^(services\/broker\/|shared\/src\/bus\/|shared\/src\/audio\/frame-codec|node_modules\/(aedes[^/]*|qlobber|mqemitter|mqtt-packet|mqtt|fastparallel|fastfall|fastseries|reusify|retimer|hyperid|bl|readable-stream|end-of-stream|process-nextick-args|string_decoder|rfdc|broker-factory|worker-timers[^/]*)\/)/,
  ],
  ['messages (JSON, validation)', /^(shared\/src\/contract\/|shared\/generated\/schema-validators|node_modules\/(ajv|@sinclair\/typebox)\/)/],
  ['model link (gateway, WebSocket, base64)', /^(services\/realtime-gateway\/|shared\/src\/realtime|shared\/generated\/realtime-|node_modules\/(ws|socks|ip-address|smart-buffer)\/)/],
  ['dsp in JS (framing, echo gate, VAD, levels)', /^services\/dsp\//],
  ['capture in JS', /^services\/audio-capture\//],
  ['playback in JS', /^services\/playback\//],
  ['conversation state', /^(services\/conversation-state\/|node_modules\/xstate\/)/],
  ['screen (drawing)', /^(services\/lcd\/|node_modules\/@napi-rs\/canvas)/],
  ['logging', /^node_modules\/(pino[^/]*|sonic-boom|thread-stream|quick-format-unescaped|atomic-sleep|on-exit-leak-free|fast-redact|safe-stable-stringify)\//],
  ['shared runtime (timers, metrics, status)', /^shared\//],
  ['runner', /^deploy\/runner\//],
  ['other packages', /^node_modules\//],
];
const DSP_ADDON = /^native\/dsp\//;
export const GC_STAGE = 'garbage collection';
export const PROGRAM_STAGE = 'V8 and Node outside JS ((program))';
export const NODE_STAGE = "Node's own (event loop, streams, timers)";

/** The repository-relative source a frame ran, through the file's source map when it has one. */
class SourceLocator {
  private readonly maps = new Map<string, { map: SourceMap; dir: string } | null>();

  constructor(private readonly root: string) {}

  locate(frame: CallFrame): string | undefined {
    if (frame.url === '' || frame.url.startsWith('node:')) return undefined;
    const file = frame.url.startsWith('file://') ? fileURLToPath(frame.url) : frame.url;
    if (!file.startsWith('/')) return undefined;
    const mapped = this.mapOf(file);
    const source = mapped?.map.findEntry(frame.lineNumber, frame.columnNumber) as { originalSource?: string } | undefined;
    const original = source?.originalSource === undefined ? file : resolve(mapped?.dir ?? '', source.originalSource.replace(/^file:\/\//, ''));
    return relative(this.root, original);
  }

  private mapOf(file: string): { map: SourceMap; dir: string } | null {
    let entry = this.maps.get(file);
    if (entry === undefined) {
      entry = existsSync(`${file}.map`) ? { map: new SourceMap(JSON.parse(readFileSync(`${file}.map`, 'utf8'))), dir: dirname(file) } : null;
      this.maps.set(file, entry);
    }
    return entry;
  }
}

function stageOfSource(source: string, functionName: string): string | undefined {
  // The dsp addon's wrapper: its resampler's `process`, or the voice processor's calls (webrtc's
  // echo canceller, noise suppression, gain and VAD run inside them).
  if (DSP_ADDON.test(source)) return functionName === 'process' ? 'resampling (speexdsp addon)' : 'echo cancellation, noise, gain (webrtc addon)';
  return SOURCE_STAGES.find(([, pattern]) => pattern.test(source))?.[0];
}

export interface StageShare {
  stage: string;
  percentOfOneCore: number;
  percentOfBusy: number;
}

/**
 * The JS thread's busy time within [fromUs, toUs] (CLOCK_MONOTONIC µs, the profile's own clock),
 * by stage, largest first.
 */
export function cpuStages(profile: CpuProfile, fromUs: number, toUs: number, root: string): { seconds: number; busyPercentOfOneCore: number; stages: StageShare[] } {
  if (fromUs < profile.startTime || toUs > profile.endTime) {
    throw new Error(`bench:footprint: the CPU profile covers ${profile.startTime}-${profile.endTime} µs, not the window ${fromUs}-${toUs} µs asked for`);
  }
  const nodes = new Map(profile.nodes.map((node) => [node.id, node]));
  const parents = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parents.set(child, node.id);
  const locator = new SourceLocator(root);
  const stageOfNode = new Map<number, string | null>();
  const stageOf = (id: number): string | null => {
    const known = stageOfNode.get(id);
    if (known !== undefined) return known;
    const frame = (nodes.get(id) as ProfileNode).callFrame;
    let stage: string | null;
    if (frame.functionName === '(idle)') stage = null;
    else if (frame.functionName === '(garbage collector)') stage = GC_STAGE;
    else if (frame.functionName === '(program)') stage = PROGRAM_STAGE;
    else {
      const source = locator.locate(frame);
      const own = source === undefined ? undefined : stageOfSource(source, frame.functionName);
      const parent = parents.get(id);
      stage = own ?? (parent === undefined ? NODE_STAGE : stageOf(parent));
      if (stage === null) stage = NODE_STAGE;
    }
    stageOfNode.set(id, stage);
    return stage;
  };
  const busyUs = new Map<string, number>();
  // A sample stands for the time from it to the next one.
  let atUs = profile.startTime;
  for (let i = 0; i < profile.samples.length; i++) {
    atUs += profile.timeDeltas[i] ?? 0;
    const spanUs = profile.timeDeltas[i + 1] ?? 0;
    if (atUs < fromUs || atUs + spanUs > toUs) continue;
    const stage = stageOf(profile.samples[i] as number);
    if (stage !== null) busyUs.set(stage, (busyUs.get(stage) ?? 0) + spanUs);
  }
  const windowUs = toUs - fromUs;
  const totalBusyUs = [...busyUs.values()].reduce((sum, us) => sum + us, 0);
  const round = (value: number) => Math.round(value * 100) / 100;
  const stages = [...busyUs]
    .sort((a, b) => b[1] - a[1])
    .map(([stage, us]) => ({ stage, percentOfOneCore: round((us / windowUs) * 100), percentOfBusy: round((us / Math.max(1, totalBusyUs)) * 100) }));
  return { seconds: Math.round(windowUs / 1000) / 1000, busyPercentOfOneCore: round((totalBusyUs / windowUs) * 100), stages };
}
