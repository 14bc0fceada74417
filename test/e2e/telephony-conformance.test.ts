import { AUDIO_CAPTURE_DUTIES, type Duty, PLAYBACK_DUTIES } from '@voxbus/shared';
import { FreeswitchPeer, freePort, sine, waitForPort } from '@voxbus/shared/testing';
import { describe, expect, it } from 'vitest';
import { cleanupAfterEach } from '../helpers/cleanup.js';
import { Probe } from '../helpers/probe.js';
import { spawnNode, stackPorts, startRunner } from '../helpers/processes.js';

const onCleanup = cleanupAfterEach();
const rulesOf = (duties: readonly Duty[]) => duties.flatMap((duty) => (duty.rule ? [duty.rule] : []));

/** `voxbus conformance <service>`, as a user runs it; its verdicts by rule. */
async function conformance(service: string, env: Record<string, string>, args: string[]) {
  const kit = spawnNode('shared/dist/cli/voxbus.js', ['conformance', service, ...args], env);
  onCleanup(() => kit.stop('SIGKILL'));
  const timer = setTimeout(() => void kit.stop('SIGKILL'), 60_000);
  const code = await kit.exited;
  clearTimeout(timer);
  const verdicts = new Map<string, string>();
  for (const line of kit.lines) {
    const match = /^(PASS|FAIL) (\S+) — /.exec(line);
    if (match) verdicts.set(match[2] as string, match[1] as string);
  }
  return { code, lines: kit.lines, verdicts };
}

describe('the telephony bridge is a conforming audio-capture and playback while a call is up', () => {
  it('passes `voxbus conformance playback` and `voxbus conformance audio-capture --kill` with a FreeSWITCH caller on the line', async () => {
    const ports = await stackPorts();
    const bridgePort = await freePort();
    const env = { ...ports.env, VOXBUS_LOG__LEVEL: 'warn' };
    const runner = startRunner(['broker', 'telephony-bridge'], {
      ...env,
      VOXBUS_TELEPHONY_BRIDGE__HOST: '127.0.0.1',
      VOXBUS_TELEPHONY_BRIDGE__PORT: String(bridgePort),
    });
    onCleanup(() => runner.stop('SIGKILL'));
    await waitForPort(ports.tcpPort, 15_000);
    await waitForPort(bridgePort, 15_000);
    const probe = await Probe.connect(ports.url);
    onCleanup(() => probe.close());
    await probe.subscribe('voxbus/telephony-bridge/state');
    const caller = await FreeswitchPeer.dial(`ws://127.0.0.1:${bridgePort}`, 16_000);
    onCleanup(() => caller.stop());
    // The caller hums for the whole run: the microphone carries the call.
    void caller.say(sine(16_000, 60, 300, 0.1));
    await probe.waitForJson<{ state: string }>('voxbus/telephony-bridge/state', (s) => s.state === 'in-call', 5000);

    const playback = await conformance('playback', env, []);
    const playbackRules = rulesOf(PLAYBACK_DUTIES).filter((rule) => rule !== 'status.last-will');
    expect(playback.code, playback.lines.join('\n')).toBe(0);
    expect([...playback.verdicts.entries()].filter(([, verdict]) => verdict === 'FAIL'), playback.lines.join('\n')).toEqual([]);
    expect([...playback.verdicts.keys()]).toEqual(playbackRules);
    // The reply the kit played reached the caller (tones at the call's rate, as streamAudio).
    expect(caller.receivedMs(), 'ms of the kit\'s audio the caller got').toBeGreaterThan(500);

    // Last, with its Last Will: killing the service kills the bridge's process, and the call with it.
    const capture = await conformance('audio-capture', env, ['--kill']);
    expect(capture.code, capture.lines.join('\n')).toBe(0);
    expect([...capture.verdicts.keys()]).toEqual(rulesOf(AUDIO_CAPTURE_DUTIES));
    expect(capture.lines.join('\n')).toContain(`audio-capture: all ${rulesOf(AUDIO_CAPTURE_DUTIES).length} rules pass`);
    expect(caller.unexpected).toEqual([]);
  }, 120_000);
});
