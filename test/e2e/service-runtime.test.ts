import { describe, expect, it } from 'vitest';
import { cleanupAfterEach } from '../helpers/cleanup.js';
import { waitForPort } from '../helpers/ports.js';
import { Probe } from '../helpers/probe.js';
import { spawnNode, stackPorts } from '../helpers/processes.js';

const BROKER = 'services/broker/dist/main.js';
const onCleanup = cleanupAfterEach();

describe('the service runtime, as a process', () => {
  it('exits 78 with one clear line on a configuration mistake, instead of running half-configured', async () => {
    const ports = await stackPorts();
    const typo = spawnNode(BROKER, [], { ...ports.env, VOXBUS_BROKER__TCP_PORT: 'eighteen' });
    expect(await typo.exited).toBe(78);
    expect(typo.lines.join('\n')).toMatch(/VOXBUS_BROKER__TCP_PORT=\\"eighteen\\" is not a number/);

    const level = spawnNode(BROKER, [], { ...ports.env, VOXBUS_LOG__LEVEL: 'verbose' });
    expect(await level.exited).toBe(78);
    expect(level.lines.join('\n')).toMatch(/config\/log\/level must be one of \\"fatal\\", \\"error\\"/);

    const open = spawnNode(BROKER, [], { ...ports.env, VOXBUS_BROKER__HOST: '0.0.0.0' });
    expect(await open.exited).toBe(78);
    expect(open.lines.join('\n')).toMatch(/beyond loopback: set broker.usersFile/);
  });

  it('keeps the password out of its logs and its describe answer, and stops cleanly on SIGTERM', async () => {
    const ports = await stackPorts();
    const password = 'pw-that-must-not-leak-7f3a';
    const broker = spawnNode(BROKER, [], { ...ports.env, VOXBUS_BUS__USERNAME: 'voxbus', VOXBUS_BUS__PASSWORD: password, VOXBUS_LOG__LEVEL: 'debug' });
    onCleanup(() => broker.stop('SIGKILL'));
    await waitForPort(ports.tcpPort, 15_000);
    const peer = await Probe.connect(ports.url, { username: 'voxbus', password });
    onCleanup(() => peer.close());
    await peer.subscribe('voxbus/#');
    await peer.waitForJson('voxbus/broker/status', (s: { status: string }) => s.status === 'online');
    await peer.publish('voxbus/broker/req/describe', JSON.stringify({ requestId: 'who' }));
    const answer = await peer.waitForJson<{ data: { config: { common: { bus: { password: string } } } } }>('voxbus/broker/res/describe', () => true);
    expect(answer.data.config.common.bus.password).toBe('***');

    const before = peer.messages.length;
    expect(await broker.stop('SIGTERM')).toBe(0);
    await peer.waitForJson('voxbus/broker/status', (s: { status: string; reason: string }) => s.status === 'offline' && s.reason === 'stopped', 5000, before);
    const everything = [...broker.lines, ...peer.messages.map((m) => m.payload.toString())].join('\n');
    expect(everything).not.toContain(password);
    expect(broker.lines.some((line) => line.includes('"msg":"stopped"'))).toBe(true);
  });
});
