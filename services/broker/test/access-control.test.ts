import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { ConfigError } from '@voxbus/shared';
import { cleanupAfterEach } from '../../../test/helpers/cleanup.js';
import { connectOnce } from '../../../test/helpers/connect-once.js';
import { type AedesTestBroker, startAedes } from '../../../test/helpers/brokers.js';
import { Probe } from '../../../test/helpers/probe.js';
import { waitFor } from '../../../test/helpers/wait.js';
import { DEFAULT_LOGINS, makeCredentials } from '../src/credentials.js';
import { hashPassword, verifyPassword } from '../src/password-hash.js';
import { type BusUser, readUsersFile } from '../src/users-file.js';
import { tempDir } from '../../../test/helpers/temp-dir.js';

const onCleanup = cleanupAfterEach();

const LOGINS = {
  dsp: { role: 'service', password: 'dsp-pw' },
  'audio-capture': { role: 'service', password: 'capture-pw' },
  'conversation-state': { role: 'service', password: 'conv-pw' },
  monitor: { role: 'monitor', password: 'monitor-pw' },
  listener: { role: 'monitor', password: 'listener-pw', hearAudio: true },
  controller: { role: 'controller', password: 'controller-pw' },
  admin: { role: 'admin', password: 'admin-pw' },
  // A login whose name is the start of a service's: it must not get that service's ids.
  audio: { role: 'monitor', password: 'audio-pw' },
} as const;
type Login = keyof typeof LOGINS;

let users: Map<string, BusUser>;

beforeAll(async () => {
  users = new Map();
  for (const [username, login] of Object.entries(LOGINS)) {
    users.set(username, { username, role: login.role, passwordHash: await hashPassword(login.password), hearAudio: 'hearAudio' in login });
  }
});

async function broker(): Promise<AedesTestBroker> {
  const started = await startAedes({}, { kind: 'users', users });
  onCleanup(() => started.stop());
  return started;
}

async function as(b: AedesTestBroker, login: Login, clientId = `${login}-${Math.random().toString(16).slice(2, 8)}`): Promise<Probe> {
  const probe = await Probe.connect(b.url, { username: login, password: LOGINS[login].password, clientId, reconnectPeriod: 0 });
  onCleanup(() => probe.close());
  return probe;
}

/** Publishes and reports whether the broker cut the publisher off for it (a refused QoS 0 publish can only be answered so). */
async function cutOffFor(probe: Probe, topic: string): Promise<boolean> {
  const closed = new Promise<boolean>((resolve) => probe.client.once('close', () => resolve(true)));
  probe.client.publish(topic, '{}', { qos: 0 });
  return Promise.race([closed, new Promise<boolean>((resolve) => setTimeout(() => resolve(false), 400))]);
}

/** The QoS the broker granted a subscription, 128 for a refusal (which mqtt.js turns into an error). */
async function granted(probe: Probe, filter: string): Promise<number> {
  try {
    return (await probe.client.subscribeAsync(filter))[0]?.qos ?? -1;
  } catch (error) {
    if (/Subscribe error/.test((error as Error).message)) return 128;
    throw error;
  }
}

describe('broker access control by role', () => {
  it('lets a monitor read states but not the microphone, and not publish a command', async () => {
    const b = await broker();
    const monitor = await as(b, 'monitor');
    await monitor.subscribe('voxbus/#');
    const listener = await as(b, 'listener');
    await listener.subscribe('voxbus/#');
    const capture = await as(b, 'audio-capture');
    const dsp = await as(b, 'dsp');
    await capture.client.publishAsync('voxbus/audio/mic', Buffer.alloc(64));
    await dsp.client.publishAsync('voxbus/audio/input', Buffer.alloc(64));
    await dsp.client.publishAsync('voxbus/dsp/state', '{"state":"running"}');
    await waitFor('the state at the monitor', () => monitor.on('voxbus/dsp/state').length === 1 || undefined);
    await waitFor('all three at the listener granted audio', () => listener.messages.length === 3 || undefined);
    expect(monitor.messages.map((m) => m.topic)).toEqual(['voxbus/dsp/state']);
    expect(await cutOffFor(monitor, 'voxbus/conversation/cmd/mute')).toBe(true);
    expect(listener.on('voxbus/conversation/cmd/mute')).toHaveLength(0);
    expect(b.metrics.snapshot()['publishes.denied']).toBe(1);
  });

  it('lets a controller send user commands, and not speak for a service', async () => {
    const b = await broker();
    const admin = await as(b, 'admin');
    await admin.subscribe('voxbus/#');
    const controller = await as(b, 'controller');
    await controller.publish('voxbus/conversation/cmd/mute', '{"target":"all"}');
    await controller.publish('voxbus/playback/cmd/volume', '{"volume":0.5}');
    await controller.publish('voxbus/realtime-gateway/cmd/say', '{"text":"hi"}');
    await waitFor('the three commands', () => admin.messages.length === 3 || undefined);
    expect(await cutOffFor(controller, 'voxbus/playback/cmd/flush')).toBe(true);
  });

  it("keeps a service to its own topics and the commands its role sends", async () => {
    const b = await broker();
    const admin = await as(b, 'admin');
    await admin.subscribe('voxbus/#');
    const dsp = await as(b, 'dsp');
    await dsp.publish('voxbus/dsp/status', '{}');
    await dsp.publish('voxbus/dsp/metrics', '{}');
    await dsp.publish('voxbus/dsp/res/describe', '{}');
    await dsp.publish('voxbus/playback/req/describe', '{}');
    await dsp.publish('voxbus/tools/res/weather', '{}');
    const conversation = await as(b, 'conversation-state');
    await conversation.publish('voxbus/playback/cmd/flush', '{}');
    await conversation.publish('voxbus/conversation/state', '{}');
    await waitFor('the seven allowed', () => admin.messages.length === 7 || undefined);
    for (const topic of ['voxbus/audio/mic', 'voxbus/playback/state', 'voxbus/playback/status', 'voxbus/dsp/cmd/mute']) {
      const offender = await as(b, 'dsp');
      expect(await cutOffFor(offender, topic), topic).toBe(true);
    }
    expect(admin.messages.map((m) => m.topic)).not.toContain('voxbus/audio/mic');
    expect(b.metrics.snapshot()['publishes.denied']).toBe(4);
  });

  it('binds client ids to logins: no one takes over the dsp\'s session with another login', async () => {
    const b = await broker();
    const dsp = await as(b, 'dsp', 'dsp-1a2b3c4d');
    expect(await connectOnce(b.url, { username: 'monitor', password: LOGINS.monitor.password, clientId: 'dsp-1a2b3c4d' })).toMatch(/Identifier rejected/i);
    expect(await connectOnce(b.url, { username: 'dsp', password: 'wrong', clientId: 'dsp-1a2b3c4d' })).toMatch(/Bad username or password/i);
    const capture = await as(b, 'audio-capture', 'audio-capture-5e6f');
    expect(await connectOnce(b.url, { username: 'audio', password: LOGINS.audio.password, clientId: 'audio-capture-5e6f' })).toMatch(/Identifier rejected/i);
    expect(await connectOnce(b.url, { username: 'audio', password: LOGINS.audio.password, clientId: 'audio-7' })).toBe('connected');
    expect(dsp.drops).toEqual([]);
    expect(capture.drops).toEqual([]);
    expect(b.metrics.snapshot()['clients.rejectedClientId']).toBe(2);
  });

  it('shows $SYS (the client ids) to an admin only', async () => {
    const b = await broker();
    const monitor = await as(b, 'monitor');
    expect(await granted(monitor, '$SYS/#')).toBe(128);
    const admin = await as(b, 'admin');
    expect(await granted(admin, '$SYS/#')).toBe(0);
    await as(b, 'dsp');
    await waitFor('a $SYS message at the admin', () => admin.messages.some((m) => m.topic.startsWith('$SYS/')) || undefined);
    expect(monitor.messages).toEqual([]);
    expect(b.metrics.snapshot()['subscriptions.denied']).toBe(1);
  });

  it('hides $SYS without access rules too', async () => {
    const b = await startAedes();
    onCleanup(() => b.stop());
    const anyone = await Probe.connect(b.url);
    onCleanup(() => anyone.close());
    expect(await granted(anyone, '$SYS/#')).toBe(128);
  });
});

describe('users file', () => {
  it('reads roles and scrypt hashes, and says what is wrong with a bad file', async () => {
    const dir = tempDir('users');
    const good = join(dir, 'users.json');
    const hash = await hashPassword('pw');
    writeFileSync(good, JSON.stringify({ version: 1, users: [{ username: 'dsp', role: 'service', password: hash }] }));
    const read = readUsersFile(good);
    expect(read.get('dsp')).toMatchObject({ role: 'service', hearAudio: false });
    expect(await verifyPassword(read.get('dsp')?.passwordHash ?? '', 'pw')).toBe(true);
    expect(await verifyPassword(read.get('dsp')?.passwordHash ?? '', 'pW')).toBe(false);
    const bad = join(dir, 'bad.json');
    writeFileSync(bad, JSON.stringify({ version: 1, users: [{ username: 'dsp', role: 'service', password: 'plain' }] }));
    expect(() => readUsersFile(bad)).toThrow(/not a scrypt hash/);
    writeFileSync(bad, JSON.stringify({ version: 1, users: [{ username: 'dsp', role: 'root', password: hash }] }));
    expect(() => readUsersFile(bad)).toThrow(ConfigError);
    expect(() => readUsersFile(join(dir, 'missing.json'))).toThrow(/cannot read the users file/);
  });

  it('is made with a password file per login, kept on a second run, new with rotate; users.json checks against them', async () => {
    const dir = join(tempDir('cred'), 'credentials');
    const first = await makeCredentials(dir);
    expect(first).toHaveLength(DEFAULT_LOGINS.length + 1);
    expect(statSync(dir).mode & 0o777).toBe(0o700);
    expect(statSync(join(dir, 'dsp.password')).mode & 0o777).toBe(0o600);
    const password = (name: string) => readFileSync(join(dir, `${name}.password`), 'utf8').trim();
    const dspPassword = password('dsp');
    expect(dspPassword).toMatch(/^[A-Za-z0-9_-]{32}$/);
    expect(await makeCredentials(dir, DEFAULT_LOGINS, { fileMode: 0o644 })).toEqual([join(dir, 'users.json')]);
    expect(password('dsp')).toBe(dspPassword);
    expect(statSync(join(dir, 'users.json')).mode & 0o777).toBe(0o644);
    const users = readUsersFile(join(dir, 'users.json'));
    for (const login of DEFAULT_LOGINS) expect(await verifyPassword(users.get(login.username)?.passwordHash ?? '', password(login.username)), login.username).toBe(true);
    expect(users.get('monitor')?.role).toBe('monitor');
    await makeCredentials(dir, DEFAULT_LOGINS, { rotate: true });
    expect(password('dsp')).not.toBe(dspPassword);
    // A login added once (--login) survives a later run that does not name it.
    await makeCredentials(dir, [...DEFAULT_LOGINS, { username: 'kitchen-tablet', role: 'controller' }]);
    await makeCredentials(dir);
    expect(readUsersFile(join(dir, 'users.json')).get('kitchen-tablet')?.role).toBe('controller');
  });
});
