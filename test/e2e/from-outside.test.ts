/// <reference lib="dom" />
/// <reference lib="dom.iterable" />
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { schemaErrors } from '@voxbus/shared';
import { bestMatch, speech } from '@voxbus/shared/testing';
import mqtt from 'mqtt';
import wavefile from 'wavefile';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Component, entities } from '../../services/home-assistant/src/entities.js';
import { HA_DISCOVERY_SCHEMAS } from '../../services/home-assistant/test/ha-discovery-schema.js';
import { ALL_SERVICES, type BoardStack, listening, startBoardStack, turnReport } from '../helpers/board-stack.js';
import { openPage } from '../helpers/browser.js';
import { spawnNode } from '../helpers/processes.js';
import { tempDir } from '../helpers/temp-dir.js';

/**
 * The assistant from the outside: the voxbus command line (each subcommand run as a person runs
 * it, its output piped) and Home Assistant's view through MQTT discovery, against the whole
 * assistant on the virtual board (every service its own process under the run command, the opt-in
 * home-assistant bridge switched on).
 */
const cleanups: (() => Promise<unknown> | void)[] = [];
let stack: BoardStack;
/** Where the recorder writes (removed with the stack). */
let recordings: string;

beforeAll(async () => {
  recordings = mkdtempSync(join(tmpdir(), 'voxbus-recordings-'));
  cleanups.push(() => rmSync(recordings, { recursive: true, force: true }));
  stack = await startBoardStack(
    (cleanup) => void cleanups.push(cleanup),
    { VOXBUS_METRICS_INTERVAL_MS: '1000', VOXBUS_HOME_ASSISTANT__ENABLED: 'true', VOXBUS_RECORDER__DIR: recordings },
    ['home-assistant', 'recorder'],
  );
}, 60_000);

afterAll(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** Runs `voxbus <args>` to its end; its exit code and every line it printed (stdout and stderr). */
/** Runs the command line to its end; `started.act`, if given, is called once it has printed a line matching `when`. */
async function voxbus(
  args: string[],
  extraEnv: Record<string, string> = {},
  started?: { when: RegExp; act: () => void },
): Promise<{ code: number | string; lines: string[]; text: string }> {
  const run = spawnNode('shared/dist/cli/voxbus.js', args, { ...stack.board.env, VOXBUS_BUS__URL: stack.url, ...extraEnv });
  const timer = setTimeout(() => void run.stop('SIGKILL'), 40_000);
  if (started !== undefined) {
    const watch = setInterval(() => {
      if (!run.lines.some((line) => started.when.test(line))) return;
      clearInterval(watch);
      started.act();
    }, 20);
    void run.exited.then(() => clearInterval(watch));
  }
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
    const phrase = await speech('Testing the recording', 48_000);
    // Spoken once the command says it records (its 4 s run from there): a fixed wait before
    // speaking lost the phrase once on a fresh clone's CI (most likely the command slow to start, the machine busy).
    let speaking: Promise<void> | undefined;
    const run = await voxbus(['record', 'mic', file, '--seconds', '4'], {}, { when: /^voxbus record: recording /, act: () => (speaking = stack.board.speak(phrase, 48_000)) });
    await speaking;
    expect(speaking, `the command never said it was recording: ${said(run)}`).toBeDefined();
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

  it('tap: the recorder records the microphone on the board for the seconds asked, lists it, deletes it; refusals are said', async () => {
    // Made before the recording starts, and spoken as soon as the command says it records: the
    // recording's 4 s run from its start, and a phrase synthesised after it once came too late to fit
    // whole on a fresh clone's CI.
    const phrase = await speech('Testing the recording', 48_000);
    let speaking: Promise<void> | undefined;
    const started = await voxbus(['tap', 'start', 'mic', '--seconds', '4', '--name', 'spoken'], {}, { when: /recording mic as spoken/, act: () => (speaking = stack.board.speak(phrase, 48_000)) });
    await speaking;
    expect(started.code, said(started)).toBe(0);
    expect(started.text).toMatch(/recording mic as spoken/);
    expect(speaking, `the command never said it was recording: ${said(started)}`).toBeDefined();
    const file = join(recordings, 'spoken.wav');
    for (const deadline = Date.now() + 10_000; Date.now() < deadline && !existsSync(file); ) await new Promise((resolve) => setTimeout(resolve, 100));
    const listed = await voxbus(['tap', 'list']);
    expect(listed.code, said(listed)).toBe(0);
    expect(listed.text).toMatch(/^spoken\s+mic\s+4\.\d s\s+48000 Hz/m);
    const wav = new wavefile.WaveFile(readFileSync(file));
    const channels = (wav.fmt as { numChannels: number }).numChannels;
    const first = (wav.getSamples(true, Int16Array) as unknown as Int16Array).filter((_, i) => i % channels === 0);
    const spoken = new Int16Array(phrase.buffer, phrase.byteOffset, phrase.length / 2);
    const match = bestMatch(spoken, first);
    const where = match === undefined ? 'the recording is shorter than the phrase' : `best at ${((match.lagSamples / 48_000) * 1000).toFixed(0)} ms`;
    expect(match?.correlation ?? 0, `the spoken phrase (${((spoken.length / 48_000) * 1000).toFixed(0)} ms) in the recording (${((first.length / 48_000) * 1000).toFixed(0)} ms), ${where}; the recorder listed: ${listed.text}`).toBeGreaterThan(0.8);
    const stopIdle = await voxbus(['tap', 'stop']);
    expect(stopIdle.code, said(stopIdle)).toBe(1);
    expect(stopIdle.text).toMatch(/refused: nothing is being recorded/);
    const again = await voxbus(['tap', 'start', 'mic', '--name', 'spoken']);
    expect(again.text).toMatch(/refused: a recording named spoken exists/);
    const deleted = await voxbus(['tap', 'delete', 'spoken']);
    expect(deleted.code, said(deleted)).toBe(0);
    expect(deleted.text).toMatch(/no recordings on the board/);
    expect(existsSync(file)).toBe(false);
    await listening(stack.probe, 0);
  });

  it('devices: ALSA\'s devices, with the ones the services have open and the format each was granted', async () => {
    const run = await voxbus(['devices']);
    expect(run.code, said(run)).toBe(0);
    expect(run.text).toMatch(new RegExp(`^${stack.board.micDevice}\\s.*audio-capture: \\d+ Hz \\d ch s16le`, 'm'));
    expect(run.text).toMatch(new RegExp(`^${stack.board.speakerDevice}\\s.*playback: \\d+ Hz \\d ch`, 'm'));
  });

  it('says bad use plainly, with exit code 2', async () => {
    for (const args of [['record'], ['record', 'speaker', 'x.wav'], ['tap'], ['tap', 'start', 'speaker'], ['tail'], ['say'], ['status', '--wait-ms', 'soon'], ['status', '--colour'], ['frobnicate']]) {
      const run = await voxbus(args);
      expect(run.code, `voxbus ${args.join(' ')}: ${said(run)}`).toBe(2);
      expect(run.text, `voxbus ${args.join(' ')}`).toMatch(/voxbus|usage/);
    }
  });
});

interface Discovered {
  readonly component: Component;
  readonly objectId: string;
  readonly config: Record<string, unknown>;
}

/** Home Assistant as the broker sees it: subscribed to its discovery prefix and to every state topic it is told of. */
async function homeAssistant() {
  const client = await mqtt.connectAsync(stack.url, { protocolVersion: 4, clientId: `home-assistant-test-${process.pid}` });
  cleanups.push(() => client.endAsync());
  const configs = new Map<string, Discovered>();
  const states = new Map<string, unknown[]>();
  client.on('message', (topic, payload) => {
    const discovery = /^homeassistant\/(\w+)\/voxbus\/(\w+)\/config$/.exec(topic);
    if (discovery) {
      configs.set(topic, { component: discovery[1] as Component, objectId: discovery[2] as string, config: JSON.parse(payload.toString()) as Record<string, unknown> });
      return;
    }
    states.set(topic, [...(states.get(topic) ?? []), JSON.parse(payload.toString())]);
  });
  await client.subscribeAsync('homeassistant/#', { qos: 1 });
  return { client, configs, states };
}

/** Waits for `test`; a timeout says what was awaited, and what the bridge logged. */
const waitUntil = async (what: string | (() => string), test: () => boolean, timeoutMs = 10_000) => {
  for (const deadline = Date.now() + timeoutMs; Date.now() < deadline; await new Promise((resolve) => setTimeout(resolve, 50))) if (test()) return;
  const bridgeSaid = stack.runner.lines.filter((line) => line.includes('home-assistant')).slice(-5);
  throw new Error(`not within ${timeoutMs} ms: ${typeof what === 'string' ? what : what()} (the bridge's last lines: ${bridgeSaid.join(' | ') || 'none'})`);
};

describe('Home Assistant, through MQTT discovery', () => {
  it("sees the board as a device whose entities are valid under Home Assistant's schema, follows a spoken turn on their state topics, and its switches, slider and buttons act", async () => {
    const ha = await homeAssistant();
    const expected = entities({ baseTopic: 'voxbus', nodeId: 'voxbus', deviceName: 'voxbus', version: '0', transcriptMaxChars: 255 }).length;
    await waitUntil(() => `${expected} discovery configs (have ${ha.configs.size})`, () => ha.configs.size === expected);
    for (const { component, objectId, config } of ha.configs.values()) {
      expect(schemaErrors(HA_DISCOVERY_SCHEMAS[component], config), `${component} ${objectId}`).toBeUndefined();
    }
    const byId = (objectId: string) => [...ha.configs.values()].find((d) => d.objectId === objectId)?.config ?? {};
    // Subscribed as Home Assistant would: to every state and availability topic it was given.
    const stateTopics = new Set([...ha.configs.values()].flatMap(({ config }) => [config.state_topic, ...((config.availability as { topic: string }[] | undefined) ?? []).map((a) => a.topic)].filter((t): t is string => typeof t === 'string')));
    await ha.client.subscribeAsync([...stateTopics], { qos: 1 });
    await waitUntil('every service online on its availability topic', () => (ha.states.get('voxbus/home-assistant/status')?.at(-1) as { status?: string } | undefined)?.status === 'online');

    const question = await speech('What will the weather be like tomorrow?', 48_000);
    const from = stack.probe.messages.length;
    await stack.board.speak(question, 48_000);
    const report = await turnReport(stack.probe, from);
    await listening(stack.probe, from);
    const last = (objectId: string) => ha.states.get(byId(objectId).state_topic as string)?.at(-1) as Record<string, unknown> | undefined;
    await waitUntil('both transcripts on their sensors', () => last('last_user_transcript') !== undefined && last('last_assistant_transcript') !== undefined);
    expect((last('last_user_transcript') as { text: string }).text).toMatch(/s of speech/);
    expect((last('last_assistant_transcript') as { text: string }).text).toMatch(/^You spoke for/);
    expect((last('last_turn_latency') as { latencyMs: { speechStoppedToFirstAudio: number } }).latencyMs.speechStoppedToFirstAudio).toBe(report.latencyMs.speechStoppedToFirstAudio);
    expect((last('conversation_state') as { state: string }).state).toBe('listening');

    // The microphone's switch, as Home Assistant sends it: on, then off.
    const mute = byId('mute_user');
    await ha.client.publishAsync(mute.command_topic as string, mute.payload_on as string, { qos: 1 });
    await waitUntil('the mute switch on: the conversation says the user is muted', () => (last('mute_user') as { muted?: { user: boolean } } | undefined)?.muted?.user === true);
    await ha.client.publishAsync(mute.command_topic as string, mute.payload_off as string, { qos: 1 });
    await waitUntil('the mute switch off', () => (last('mute_user') as { muted?: { user: boolean } } | undefined)?.muted?.user === false);
    // The volume slider at 0.5, rendered as Home Assistant renders the template, then back.
    const volume = byId('volume');
    for (const value of [0.5, 1]) {
      await ha.client.publishAsync(volume.command_topic as string, (volume.command_template as string).replace('{{ value }}', String(value)), { qos: 1 });
      await waitUntil(`the volume at ${value} on playback's state`, () => (last('volume') as { volume?: number } | undefined)?.volume === value);
    }
    // End, then start: the buttons' press.
    const end = byId('end_conversation');
    await ha.client.publishAsync(end.command_topic as string, end.payload_press as string, { qos: 1 });
    await waitUntil('the conversation ended', () => (last('conversation_state') as { state: string }).state === 'ended');
    const start = byId('start_conversation');
    const pressed = stack.probe.messages.length;
    await ha.client.publishAsync(start.command_topic as string, start.payload_press as string, { qos: 1 });
    await listening(stack.probe, pressed, 30_000);
  });
});

describe('the monitor page, in a real browser (headless Chromium)', () => {
  it("connects, follows a spoken turn (states, both transcripts, the turn's latency), and its mute, volume and say controls change the system", async () => {
    // Screenshots for the documentation when SCREENSHOTS_DIR says where (docs/monitor), else thrown away.
    const shots = process.env.SCREENSHOTS_DIR ?? tempDir('monitor-shots');
    const { page, pageErrors, shown } = await openPage(`http://127.0.0.1:${stack.wsPort}/`, (cleanup) => void cleanups.push(cleanup));
    await shown('a listening conversation', () => document.getElementById('state')?.textContent === 'listening');
    await shown('every service online', () => document.querySelectorAll('#services tbody td.online').length >= 7);
    // Every state the page showed, in order, from here on.
    await page.evaluate(() => {
      const seen: string[] = [];
      (window as unknown as { statesSeen: string[] }).statesSeen = seen;
      const state = document.getElementById('state') as HTMLElement;
      new MutationObserver(() => seen.push(state.textContent ?? '')).observe(state, { childList: true, characterData: true, subtree: true });
    });

    const question = await speech('What will the weather be like tomorrow?', 48_000);
    const from = stack.probe.messages.length;
    await stack.board.speak(question, 48_000);
    const report = await turnReport(stack.probe, from);
    await shown('both transcripts of the turn', () =>
      [...document.querySelectorAll('#transcripts li.user:not(.streaming)')].some((li) => /s of speech/.test(li.textContent ?? '')) &&
      [...document.querySelectorAll('#transcripts li.assistant:not(.streaming)')].some((li) => /^You spoke for/.test(li.textContent ?? '')),
    );
    await shown('listening again', () => document.getElementById('state')?.textContent === 'listening');
    const statesSeen = await page.evaluate(() => (window as unknown as { statesSeen: string[] }).statesSeen);
    expect(statesSeen.filter((state, i) => state !== statesSeen[i - 1])).toEqual(expect.arrayContaining(['userSpeaking', 'waiting', 'assistantSpeaking', 'listening']));
    const latency = await page.$eval('#turns tbody tr', (tr) => [...tr.querySelectorAll('td')].map((td) => td.textContent));
    expect(latency.slice(0, 3)).toEqual([String(report.turn), 'answered', `${Math.round(report.latencyMs.speechStoppedToFirstAudio ?? -1)} ms`]);
    expect(await page.$$eval('#latency-chart rect', (bars) => bars.length)).toBeGreaterThan(0);
    await page.screenshot({ path: join(shots, 'conversation.png'), fullPage: true });

    // The microphone's mute, as a person taps it, and back.
    const bus = (topic: string, after: number) => stack.probe.waitForJson(`voxbus/${topic}`, () => true, 5000, after);
    let mark = stack.probe.messages.length;
    await page.click('#mute-user');
    expect(await bus('conversation/cmd/mute', mark)).toEqual({ target: 'user' });
    await shown('the microphone muted', () => document.getElementById('mute-user')?.getAttribute('aria-pressed') === 'true');
    await page.screenshot({ path: join(shots, 'muted.png'), fullPage: true });
    mark = stack.probe.messages.length;
    await page.click('#mute-user');
    expect(await bus('conversation/cmd/unmute', mark)).toEqual({ target: 'user' });
    await shown('the microphone unmuted', () => document.getElementById('mute-user')?.getAttribute('aria-pressed') === 'false');

    // The volume slider, moved to 0.5 and back.
    for (const volume of [0.5, 1]) {
      mark = stack.probe.messages.length;
      await page.$eval('#volume', (slider, value) => {
        (slider as HTMLInputElement).value = String(value);
        slider.dispatchEvent(new Event('change'));
      }, volume);
      expect(await bus('playback/cmd/volume', mark)).toEqual({ volume });
      await stack.probe.waitForJson<{ volume: number }>('voxbus/playback/state', (s) => s.volume === volume, 5000, mark);
    }

    // A typed turn: the model answers it, and the page shows the answer.
    mark = stack.probe.messages.length;
    await page.type('#say-text', 'What is the time?');
    await page.click('#say button');
    expect(await bus('realtime-gateway/cmd/say', mark)).toEqual({ text: 'What is the time?' });
    await shown("the answer to the typed turn", () => [...document.querySelectorAll('#transcripts li.assistant')].some((li) => li.textContent === 'You wrote: What is the time?'));
    await listening(stack.probe, mark);
    await page.screenshot({ path: join(shots, 'say.png'), fullPage: true });
    expect(pageErrors, 'errors on the page').toEqual([]);
  });
});
