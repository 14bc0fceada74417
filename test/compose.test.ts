import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from './helpers/processes.js';

interface ComposeService {
  image: string;
  restart: string;
  command: string[];
  healthcheck: { test: string[] };
  ports?: (string | { published: number; target: number })[];
  environment: Record<string, string>;
}

function envFile(content: string): string {
  const path = join(mkdtempSync(join(tmpdir(), 'voxbus-compose-')), 'test.env');
  writeFileSync(path, content);
  return path;
}

/** `docker-compose config` (Debian's docker-compose), the fully resolved file as JSON. */
function resolvedCompose(env: string): { services: Record<string, ComposeService> } {
  const yaml = execFileSync('docker-compose', ['-f', 'compose.yaml', '--env-file', env, 'config'], { cwd: REPO_ROOT, encoding: 'utf8' });
  const json = execFileSync('python3', ['-c', 'import sys, json, yaml; print(json.dumps(yaml.safe_load(sys.stdin)))'], { input: yaml, encoding: 'utf8' });
  return JSON.parse(json) as { services: Record<string, ComposeService> };
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
  const compose = resolvedCompose(envFile('VOXBUS_BUS_PASSWORD=only-for-this-test\n'));

  it('is accepted by docker-compose and runs one container per service present, from one image', () => {
    const folders = serviceFolders();
    expect(Object.keys(compose.services).sort()).toEqual([...folders.keys()].sort());
    const images = new Set(Object.values(compose.services).map((service) => service.image));
    expect(images.size).toBe(1);
    for (const [name, service] of Object.entries(compose.services)) {
      expect(service.command, name).toEqual(['node', folders.get(name)]);
      expect(service.restart, name).toBe('unless-stopped');
      // The health check reads the service's own retained status through the broker.
      expect(service.healthcheck.test, name).toEqual(['CMD', 'node', 'shared/dist/cli/healthcheck.js', name]);
      expect(service.environment.VOXBUS_BUS__PASSWORD, name).toBe('only-for-this-test');
    }
  });

  it('publishes only the monitor port, and plain MQTT on the host loopback', () => {
    const ports = (compose.services.broker?.ports ?? []).map((port) => (typeof port === 'string' ? port : `${port.published}:${port.target}`));
    expect(ports.sort()).toEqual(['127.0.0.1:1883:1883/tcp', '9001:9001']);
    expect(compose.services.broker?.environment.VOXBUS_BROKER__HOST).toBe('0.0.0.0');
  });

  it('refuses to start without a bus password in .env, saying where to set it', () => {
    const result = spawnSync('docker-compose', ['-f', 'compose.yaml', '--env-file', envFile('VOXBUS_BUS_USERNAME=voxbus\n'), 'config'], {
      cwd: REPO_ROOT,
      encoding: 'utf8',
    });
    expect(result.status).not.toBe(0);
    expect(result.stderr).toMatch(/set VOXBUS_BUS_PASSWORD in \.env/);
  });
});
