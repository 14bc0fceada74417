import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { bestMatch, speech } from '@voxbus/shared/testing';
import wavefile from 'wavefile';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ALL_SERVICES, type BoardStack, listening, startBoardStack, turnReport } from '../helpers/board-stack.js';
import { spawnNode } from '../helpers/processes.js';
import { tempDir } from '../helpers/temp-dir.js';

/**
 * The voxbus command line against the whole assistant on the virtual board (every service its own
 * process under the run command): each subcommand run as a person runs it, its output piped.
 */
const cleanups: (() => Promise<unknown> | void)[] = [];
let stack: BoardStack;

beforeAll(async () => {
  stack = await startBoardStack((cleanup) => void cleanups.push(cleanup), { VOXBUS_METRICS_INTERVAL_MS: '1000' });
}, 60_000);

afterAll(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** Runs `voxbus <args>` to its end; its exit code and every line it printed (stdout and stderr). */
async function voxbus(args: string[], extraEnv: Record<string, string> = {}): Promise<{ code: number | string; lines: string[]; text: string }> {
  const run = spawnNode('shared/dist/cli/voxbus.js', args, { ...stack.board.env, VOXBUS_BUS__URL: stack.url, ...extraEnv });
  const timer = setTimeout(() => void run.stop('SIGKILL'), 40_000);
  const code = await run.exited;
  clearTimeout(timer);
  return { code, lines: run.lines, text: run.lines.join('\n') };
}

const said = (run: { code: number | string; text: string }) => `exit ${run.code}, printed:\n${run.text}`;

describe('the voxbus command line, against a running assistant', () => {
  it('status: every service online with its uptime, PSS and CPU; --json for scripts; plain text when piped', async () => {
    const run = await voxbus(['status']);
    expect(run.code, said(run)).toBe(0);
    for (const service of ALL_SERVICES) expect(run.text, said(run)).toMatch(new RegExp(`^${service}\\s+online\\s+\\d+ (s|min)`, 'm'));
    // Colour is for terminals: piped output has no escape codes.
    expect(run.text).not.toContain('\u001b[');
    const json = await voxbus(['status', '--json']);
    const rows = JSON.parse(json.lines.join('\n')) as { service: string; status: { status: string }; metrics?: { process: { pssBytes: number | null } } }[];
    expect(rows.map((r) => r.service)).toEqual(expect.arrayContaining([...ALL_SERVICES]));
    for (const row of rows) expect(row.metrics?.process.pssBytes, `${row.service}'s metrics in status --json`).toBeGreaterThan(0);
  });

  it('status says clearly when there is no bus, or nothing on it', async () => {
    const noBroker = await voxbus(['status'], { VOXBUS_BUS__URL: 'mqtt://127.0.0.1:1' });
    expect(noBroker.code, said(noBroker)).toBe(1);
    expect(noBroker.text).toMatch(/cannot connect to the bus at mqtt:\/\/127\.0\.0\.1:1/);
    const empty = await voxbus(['status', '--base-topic', 'nobody-here', '--wait-ms', '500']);
    expect(empty.code, said(empty)).toBe(2);
    expect(empty.text).toMatch(/no service has said its status .* under nobody-here\//);
  });

  it('describe: a service\'s effective configuration as JSON; a service that is not there is said so', async () => {
    const run = await voxbus(['describe', 'dsp']);
    expect(run.code, said(run)).toBe(0);
    const described = JSON.parse(run.lines.join('\n')) as { service: string; config: { dsp: { levelsQuietIntervalMs: number } } };
    expect(described.service).toBe('dsp');
    expect(described.config.dsp.levelsQuietIntervalMs).toBe(1000);
    const missing = await voxbus(['describe', 'no-such-service', '--timeout-ms', '500']);
    expect(missing.code, said(missing)).toBe(1);
    expect(missing.text).toMatch(/no-such-service did not answer within 500 ms: no service of that name has said its status/);
  });

  it('say: the text reaches the model as a turn, the board answers, and the answer\'s transcript is printed', async () => {
    const from = stack.probe.messages.length;
    const run = await voxbus(['say', 'What is the time?']);
    expect(run.code, said(run)).toBe(0);
    // The simulator answers typed text by quoting it: the text reached the model.
    expect(run.text).toMatch(/^assistant: You wrote: What is the time\?$/m);
    const sent = stack.probe.messages.slice(from).find((m) => m.topic === 'voxbus/realtime-gateway/cmd/say');
    expect(sent?.json).toEqual({ text: 'What is the time?' });
    await listening(stack.probe, from);
  });

  it('monitor: a spoken turn as readable lines (states, both transcripts, the turn and its latency), without audio or levels', async () => {
    const question = await speech('What will the weather be like tomorrow?', 48_000);
    const from = stack.probe.messages.length;
    const watching = voxbus(['monitor', '--seconds', '12']);
    await new Promise((resolve) => setTimeout(resolve, 1500));
    await stack.board.speak(question, 48_000);
    await turnReport(stack.probe, from);
    const run = await watching;
    expect(run.code, said(run)).toBe(0);
    expect(run.text, said(run)).toMatch(/conversation\/state\s+userSpeaking/);
    expect(run.text).toMatch(/conversation\/state\s+assistantSpeaking/);
    expect(run.text).toMatch(/realtime-gateway\/event\/transcript\s+you: .*s of speech/);
    expect(run.text).toMatch(/realtime-gateway\/event\/transcript\s+assistant: You spoke for/);
    expect(run.text).toMatch(/conversation\/event\/turn\s+turn \d+ answered: end of speech → first audio \d+ ms/);
    expect(run.lines.filter((line) => /audio\/|event\/levels|\/metrics|event\/raw/.test(line)), 'left out by default').toEqual([]);
  });

  it('tail: only what the one service publishes (its metrics included); --levels adds its meters', async () => {
    const run = await voxbus(['tail', 'dsp', '--levels', '--seconds', '3']);
    expect(run.code, said(run)).toBe(0);
    const events = run.lines.filter((line) => /^\d\d:\d\d:\d\d\.\d{3} /.test(line));
    expect(events.some((line) => / dsp\/metrics\s+PSS \d/.test(line)), said(run)).toBe(true);
    expect(events.some((line) => / dsp\/event\/levels\s+mic -?\d+ dBFS/.test(line)), said(run)).toBe(true);
    expect(events.filter((line) => !/ (dsp\/|audio\/input)/.test(line)), 'lines of other services').toEqual([]);
  });

  it('record mic: a WAV of what the virtual microphone heard, which matches what was spoken into it', async () => {
    const file = join(tempDir('cli-record'), 'mic.wav');
    const recording = voxbus(['record', 'mic', file, '--seconds', '4']);
    await new Promise((resolve) => setTimeout(resolve, 800));
    const phrase = await speech('Testing the recording', 48_000);
    await stack.board.speak(phrase, 48_000);
    const run = await recording;
    expect(run.code, said(run)).toBe(0);
    expect(run.text).toMatch(/mic\.wav: [34]\.\d\d s, 48000 Hz/);
    const wav = new wavefile.WaveFile(readFileSync(file));
    const format = wav.fmt as { numChannels: number; sampleRate: number; bitsPerSample: number };
    expect(format.sampleRate).toBe(48_000);
    expect(format.bitsPerSample).toBe(16);
    // The first channel, as 16-bit samples; the phrase is found in it.
    const interleaved = wav.getSamples(true, Int16Array) as unknown as Int16Array;
    const first = interleaved.filter((_, i) => i % format.numChannels === 0);
    const spoken = new Int16Array(phrase.buffer, phrase.byteOffset, phrase.length / 2);
    const match = bestMatch(spoken, first);
    expect(match?.correlation ?? 0, 'the spoken phrase in the recorded WAV').toBeGreaterThan(0.8);
    await listening(stack.probe, 0);
  });

  it('devices: ALSA\'s devices, with the ones the services have open and the format each was granted', async () => {
    const run = await voxbus(['devices']);
    expect(run.code, said(run)).toBe(0);
    expect(run.text).toMatch(new RegExp(`^${stack.board.micDevice}\\s.*audio-capture: \\d+ Hz \\d ch s16le`, 'm'));
    expect(run.text).toMatch(new RegExp(`^${stack.board.speakerDevice}\\s.*playback: \\d+ Hz \\d ch`, 'm'));
  });

  it('says bad use plainly, with exit code 2', async () => {
    for (const args of [['record'], ['record', 'speaker', 'x.wav'], ['tail'], ['say'], ['status', '--wait-ms', 'soon'], ['status', '--colour'], ['frobnicate']]) {
      const run = await voxbus(args);
      expect(run.code, `voxbus ${args.join(' ')}: ${said(run)}`).toBe(2);
      expect(run.text, `voxbus ${args.join(' ')}`).toMatch(/voxbus|usage/);
    }
  });
});
