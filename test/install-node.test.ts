import { execFileSync, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { arch, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT } from './helpers/processes.js';
import { tempDir } from './helpers/temp-dir.js';

const NODE_ARCH = { x64: 'x64', arm64: 'arm64', arm: 'armv7l' }[arch() as string] ?? arch();
const VERSION = 'v22.99.0';
const TARBALL = `node-${VERSION}-linux-${NODE_ARCH}.tar.xz`;

/**
 * deploy/install-node.sh against a copy of nodejs.org/dist's layout served on loopback (this
 * machine reaches no such site): a release whose "node" only says its version, so what is
 * checked is the download, the checksum and the install, not Node itself.
 */
describe('installing the official Node.js where the distribution has an old one', () => {
  let mirror: string;
  let server: Server;
  let url: string;

  beforeAll(async () => {
    mirror = mkdtempSync(join(tmpdir(), 'voxbus-node-mirror-'));
    const release = join(mirror, 'release', `node-${VERSION}-linux-${NODE_ARCH}`);
    for (const dir of ['bin', 'include/node', 'lib/node_modules', 'share/man']) mkdirSync(join(release, dir), { recursive: true });
    writeFileSync(join(release, 'bin', 'node'), `#!/bin/sh\necho ${VERSION}\n`);
    chmodSync(join(release, 'bin', 'node'), 0o755);
    const line = join(mirror, 'latest-v22.x');
    mkdirSync(line);
    execFileSync('tar', ['-cJf', join(line, TARBALL), '-C', join(mirror, 'release'), `node-${VERSION}-linux-${NODE_ARCH}`]);
    const sum = createHash('sha256').update(readFileSync(join(line, TARBALL))).digest('hex');
    writeFileSync(join(line, 'SHASUMS256.txt'), `${'0'.repeat(64)}  node-${VERSION}-darwin-arm64.tar.gz\n${sum}  ${TARBALL}\n`);
    server = createServer((request, response) => {
      const path = join(mirror, decodeURIComponent(new URL(request.url ?? '/', 'http://x').pathname));
      if (!path.startsWith(mirror) || !existsSync(path)) return void response.writeHead(404).end();
      response.writeHead(200).end(readFileSync(path));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  });
  afterAll(async () => {
    await new Promise<void>((resolve) => server.close(() => resolve()));
    rmSync(mirror, { recursive: true, force: true });
  });

  function install(prefix: string): Promise<{ code: number | null; stderr: string }> {
    return new Promise((resolve) => {
      const child = spawn('bash', ['deploy/install-node.sh'], { cwd: REPO_ROOT, env: { ...process.env, VOXBUS_NODE_MIRROR: url, VOXBUS_NODE_PREFIX: prefix } });
      let stderr = '';
      child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      child.on('exit', (code) => resolve({ code, stderr }));
    });
  }

  it("installs the newest release of the line for this machine's architecture, checksum verified", async () => {
    const prefix = tempDir('node-prefix');
    const { code, stderr } = await install(prefix);
    expect(code, stderr).toBe(0);
    expect(execFileSync(join(prefix, 'bin', 'node'), { encoding: 'utf8' }).trim()).toBe(VERSION);
    expect(existsSync(join(prefix, 'include', 'node')), 'headers for native addons').toBe(true);
    expect(stderr).toContain(`installed Node.js ${VERSION}`);
  });

  it('refuses a tarball whose checksum does not match, and installs nothing', async () => {
    const line = join(mirror, 'latest-v22.x');
    const sums = readFileSync(join(line, 'SHASUMS256.txt'), 'utf8');
    writeFileSync(join(line, 'SHASUMS256.txt'), sums.replace(/^[0-9a-f]{64}(?= {2}node-v22\.99\.0-linux)/m, 'f'.repeat(64)));
    try {
      const prefix = tempDir('node-prefix');
      const { code, stderr } = await install(prefix);
      expect(code).not.toBe(0);
      expect(stderr).toMatch(/checksum mismatch .* not installed/);
      expect(existsSync(join(prefix, 'bin', 'node'))).toBe(false);
    } finally {
      writeFileSync(join(line, 'SHASUMS256.txt'), sums);
    }
  });
});
