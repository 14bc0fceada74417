import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from './helpers/processes.js';
import { tempDir } from './helpers/temp-dir.js';

interface ComposeService {
  image: string;
  restart: string;
  command: string[];
  healthcheck: { test: string[] };
  ports?: (string | { published: number; target: number })[];
  environment: Record<string, string>;
  secrets?: { source: string; target: string }[];
}

interface ComposeFile {
  services: Record<string, ComposeService>;
  secrets: Record<string, { file: string }>;
}

function envFile(content: string): string {
  const path = join(tempDir('compose'), 'test.env');
  writeFileSync(path, content);
  return path;
}

/** `docker-compose config` (Debian's docker-compose), the fully resolved file as JSON. */
function resolvedCompose(env: string): ComposeFile {
  const yaml = execFileSync('docker-compose', ['-f', 'compose.yaml', '--env-file', env, 'config'], { cwd: REPO_ROOT, encoding: 'utf8' });
  const json = execFileSync('python3', ['-c', 'import sys, json, yaml; print(json.dumps(yaml.safe_load(sys.stdin)))'], { input: yaml, encoding: 'utf8' });
  return JSON.parse(json) as ComposeFile;
}

function serviceFolders(): Map<string, string> {
  const found = new Map<string, string>();
  for (const entry of readdirSync(join(REPO_ROOT, 'services'), { withFileTypes: true })) {
    if (!entry.isDirectory()) continue;
    const pkg = JSON.parse(readFileSync(join(REPO_ROOT, 'services', entry.name, 'package.json'), 'utf8')) as { main: string; voxbus?: { service?: string } };
    if (pkg.voxbus?.service) found.set(pkg.voxbus.service, join('services', entry.name, pkg.main.replace(/^\.\//, '')));
  }
  return found;
}

describe('compose.yaml', () => {
  const compose = resolvedCompose(envFile('VOXBUS_CREDENTIALS_DIR=/srv/voxbus-credentials-for-this-test\n'));

  /** The command line's container (`docker compose run --rm voxbus …`), not a service. */
  const CLI = 'voxbus';
  /** Every service in one container (a profile of its own), not a service either. */
  const ALL_IN_ONE = 'all-in-one';
  const services = () => Object.entries(compose.services).filter(([name]) => name !== CLI && name !== ALL_IN_ONE);

  it('is accepted by docker-compose and runs one container per service present, from one image', () => {
    const folders = serviceFolders();
    expect(services().map(([name]) => name).sort()).toEqual([...folders.keys()].sort());
    const images = new Set(Object.values(compose.services).map((service) => service.image));
    expect(images.size).toBe(1);
    for (const [name, service] of services()) {
      // The service's one-file bundle, beside its compiled entry point.
      expect(service.command, name).toEqual(['node', folders.get(name)?.replace(/main\.js$/, 'bundle.mjs')]);
      expect(service.restart, name).toBe('unless-stopped');
      // The health check reads the file the service rewrites while its bus is up: no Node, no broker round trip.
      expect(service.environment.VOXBUS_HEALTH_FILE, name).toBe('/tmp/voxbus.health');
      expect(service.healthcheck.test[0], name).toBe('CMD-SHELL');
      expect(service.healthcheck.test[1], name).toContain('/tmp/voxbus.health');
      // Its own login: its name, and only its own password file (a secret), from the credentials folder.
      expect(service.environment.VOXBUS_BUS__USERNAME, name).toBe('{service}');
      expect(service.environment.VOXBUS_BUS__PASSWORD, name).toBeUndefined();
      expect(service.environment.VOXBUS_BUS__PASSWORD_FILE, name).toBe('/run/secrets/bus-password');
      const own = (service.secrets ?? []).filter((secret) => secret.target === 'bus-password');
      expect(own.map((secret) => compose.secrets[secret.source]?.file), name).toEqual([`/srv/voxbus-credentials-for-this-test/${name}.password`]);
      // No service waits for another's health (a slow check on a busy board must not stop the stack).
      for (const dependency of Object.values((service as { depends_on?: Record<string, { condition: string }> }).depends_on ?? {})) {
        expect(dependency.condition, name).toBe('service_started');
      }
    }
  });

  it('runs the command line from the same image, only when asked (a profile of its own), logged in as the controller', () => {
    const cli = compose.services[CLI] as ComposeService & { entrypoint: string[]; profiles: string[] };
    expect(cli.entrypoint).toEqual(['voxbus']);
    expect(cli.profiles).toEqual(['cli']);
    expect(cli.restart).toBe('no');
    expect(cli.environment.VOXBUS_BUS__USERNAME).toBe('controller');
    expect((cli.secrets ?? []).map((secret) => compose.secrets[secret.source]?.file)).toEqual(['/srv/voxbus-credentials-for-this-test/controller.password']);
    // The opt-in services are in profiles of their own too: `up` alone starts the assistant.
    for (const name of ['home-assistant', 'recorder']) expect((compose.services[name] as { profiles?: string[] }).profiles, name).toEqual([name]);
    expect((compose.services['telephony-bridge'] as { profiles?: string[] }).profiles).toEqual(['telephony']);
  });

  it('starts without the devices a board may lack: sound and framebuffer come as folders with device rules, not `devices:`', () => {
    for (const [name, service] of Object.entries(compose.services)) {
      expect((service as { devices?: unknown }).devices, name).toBeUndefined();
    }
    const rules = (name: string) => (compose.services[name] as { device_cgroup_rules?: string[] }).device_cgroup_rules;
    expect(rules('audio-capture')).toEqual(['c 116:* rmw']);
    expect(rules('playback')).toEqual(['c 116:* rmw']);
    expect(rules('lcd')).toEqual(['c 29:* rmw']);
    expect(compose.services.lcd?.environment.VOXBUS_LCD__FRAMEBUFFER__DEVICE).toBe('/host/dev/fb0');
  });

  it('publishes only the monitor port, and plain MQTT on the host loopback', () => {
    const ports = (compose.services.broker?.ports ?? []).map((port) => (typeof port === 'string' ? port : `${port.published}:${port.target}`));
    expect(ports.sort()).toEqual(['127.0.0.1:1883:1883/tcp', '9001:9001']);
    expect(compose.services.broker?.environment.VOXBUS_BROKER__HOST).toBe('0.0.0.0');
  });

  it('runs every service in one container only when asked (a profile), with the settings their containers have', () => {
    const aio = compose.services[ALL_IN_ONE] as ComposeService & { profiles: string[]; networks: Record<string, { aliases?: string[] }>; device_cgroup_rules: string[] };
    expect(aio.profiles).toEqual(['all-in-one']);
    expect(aio.command).toEqual(['node', 'deploy/runner/dist/bundle.mjs', '--all-in-one']);
    expect(aio.restart).toBe('unless-stopped');
    expect(aio.environment.VOXBUS_HEALTH_FILE).toBe('/tmp/voxbus.health');
    // The services inside reach the broker among them by a function call: no login, no password.
    expect(aio.environment.VOXBUS_BUS__USERNAME).toBeUndefined();
    expect(aio.environment.VOXBUS_BUS__PASSWORD_FILE).toBeUndefined();
    expect((aio.secrets ?? []).map((secret) => secret.source)).toEqual(['bus-users']);
    // Found as `broker` by the command line's container; the same ports as the broker's.
    expect(aio.networks.default?.aliases).toEqual(['broker']);
    expect(aio.ports).toEqual(compose.services.broker?.ports);
    expect([...aio.device_cgroup_rules].sort()).toEqual(['c 116:* rmw', 'c 29:* rmw']);
    // Every setting of a service's own container (but its bus login and where it finds the others) is the same inside.
    const perContainer = ['broker', 'audio-capture', 'playback', 'dsp', 'conversation-state', 'lcd', 'realtime-gateway'];
    for (const name of perContainer) {
      for (const [key, value] of Object.entries(compose.services[name]?.environment ?? {})) {
        if (key.startsWith('VOXBUS_BUS__') || key === 'VOXBUS_REALTIME_GATEWAY__SIM_URL') continue;
        expect(aio.environment[key], `${name}: ${key}`).toBe(value);
      }
    }
  });

  it('gives the broker the users file and makes it enforce access rules; no other service sees it', () => {
    expect(compose.services.broker?.environment.VOXBUS_BROKER__USERS_FILE).toBe('/run/secrets/bus-users.json');
    const holders = Object.entries(compose.services).filter(([, service]) => (service.secrets ?? []).some((secret) => secret.source === 'bus-users'));
    expect(holders.map(([name]) => name).sort()).toEqual(['all-in-one', 'broker']);
    expect(compose.secrets['bus-users']?.file).toBe('/srv/voxbus-credentials-for-this-test/users.json');
  });
});
