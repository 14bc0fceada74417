import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { type CpuProfile, cpuStages, GC_STAGE, NODE_STAGE } from '../bench/src/footprint/cpu-stages.js';

let root: string | undefined;
afterEach(() => {
  if (root !== undefined) rmSync(root, { recursive: true, force: true });
  root = undefined;
});

/**
 * A repository with one bundled chunk whose source map says: its line 0 is the dsp's gate, its
 * line 1 is ws's sender; and the dsp addon's wrapper, unbundled, without a map.
 */
function fixture(): { chunk: string; addon: string } {
  root = mkdtempSync(join(tmpdir(), 'voxbus-cpu-stages-'));
  const dir = join(root, 'deploy', 'runner', 'dist', 'all-in-one');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'chunk.mjs'), 'function gate(){}\nfunction sendFrame(){}\n');
  // "AAAA;ACAA": line 0 column 0 from source 0, line 1 column 0 from source 1.
  const map = { version: 3, sources: ['../../../../services/dsp/src/echo-gate.ts', '../../../../node_modules/ws/lib/sender.js'], names: [], mappings: 'AAAA;ACAA' };
  writeFileSync(join(dir, 'chunk.mjs.map'), JSON.stringify(map));
  mkdirSync(join(root, 'native', 'dsp', 'dist'), { recursive: true });
  writeFileSync(join(root, 'native', 'dsp', 'dist', 'native-backend.js'), '');
  return { chunk: pathToFileURL(join(dir, 'chunk.mjs')).href, addon: pathToFileURL(join(root, 'native', 'dsp', 'dist', 'native-backend.js')).href };
}

const frame = (functionName: string, url = '', lineNumber = 0) => ({ functionName, url, lineNumber, columnNumber: 0 });

describe('bench:footprint CPU stages', () => {
  it('charges each sample to the innermost frame whose source it knows, through the source map, within the window only', () => {
    const { chunk, addon } = fixture();
    const profile: CpuProfile = {
      nodes: [
        { id: 1, callFrame: frame('(root)'), children: [2, 5, 6, 7, 9, 10] },
        { id: 2, callFrame: frame('processImmediate', 'node:internal/timers'), children: [3] },
        { id: 3, callFrame: frame('gate', chunk, 0), children: [4] },
        { id: 4, callFrame: frame('writeInt16LE', 'node:buffer') },
        { id: 5, callFrame: frame('(garbage collector)') },
        { id: 6, callFrame: frame('(idle)') },
        { id: 7, callFrame: frame('sendFrame', chunk, 1), children: [8] },
        { id: 8, callFrame: frame('writev') },
        { id: 9, callFrame: frame('cancel', addon, 10) },
        { id: 10, callFrame: frame('process', addon, 30) },
        { id: 11, callFrame: frame('(root)') },
      ],
      // Samples 1 ms apart from 1000 µs; each stands for the millisecond after it.
      startTime: 0,
      endTime: 20_000,
      samples: [4, 4, 3, 5, 6, 6, 6, 8, 8, 8, 9, 10, 2, 4],
      timeDeltas: [1000, 1000, 1000, 1000, 1000, 1000, 1000, 1000, 1000, 1000, 1000, 1000, 1000, 1000],
    };
    // The window leaves out the first sample (at 1000 µs); the last (at 14000 µs) stands for no time.
    const result = cpuStages(profile, 2000, 14_000, root as string);
    const byStage = Object.fromEntries(result.stages.map((s) => [s.stage, s.percentOfOneCore]));
    const ms = (count: number) => Math.round(((count * 1000) / 12_000) * 100 * 100) / 100;
    expect(result.seconds).toBe(0.012);
    expect(byStage).toEqual({
      'dsp in JS (framing, echo gate, VAD, levels)': ms(2), // writeInt16LE called by the gate, and the gate itself
      [GC_STAGE]: ms(1),
      'model link (gateway, WebSocket, base64)': ms(3), // a socket write called by ws's sender
      'echo cancellation, noise, gain (webrtc addon)': ms(1),
      'resampling (speexdsp addon)': ms(1),
      [NODE_STAGE]: ms(1), // Node's own, called by nothing of ours
    });
    expect(result.busyPercentOfOneCore).toBe(ms(9));
    expect(result.stages[0]?.stage).toBe('model link (gateway, WebSocket, base64)');
  });

  it('refuses a window the profile does not cover, saying both', () => {
    fixture();
    const profile: CpuProfile = { nodes: [{ id: 1, callFrame: frame('(root)') }], startTime: 5000, endTime: 9000, samples: [1], timeDeltas: [100] };
    expect(() => cpuStages(profile, 1000, 8000, root as string)).toThrow(/covers 5000-9000 µs, not the window 1000-8000 µs/);
  });
});
