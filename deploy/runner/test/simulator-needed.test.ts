import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { simulatorNeeded } from '../src/simulator-needed.js';
import { tempDir } from '../../../test/helpers/temp-dir.js';

function configFile(body: unknown): string {
  const path = join(tempDir('runner'), 'voxbus.json');
  writeFileSync(path, JSON.stringify(body));
  return path;
}

describe('the runner starts the simulator only when the gateway talks to it', () => {
  it('does with no key (auto), or when the provider is sim', () => {
    expect(simulatorNeeded({})).toBe(true);
    expect(simulatorNeeded({ VOXBUS_REALTIME_GATEWAY__PROVIDER: 'sim', VOXBUS_REALTIME_GATEWAY__API_KEY: 'sk-x' })).toBe(true);
  });

  it('does not with a key, or with a cloud provider named', () => {
    expect(simulatorNeeded({ VOXBUS_REALTIME_GATEWAY__API_KEY: 'sk-x' })).toBe(false);
    expect(simulatorNeeded({ VOXBUS_REALTIME_GATEWAY__PROVIDER: 'voice-live' })).toBe(false);
  });

  it('reads the config file, and the environment wins over it as it does for the gateway', () => {
    const withKey = configFile({ configVersion: 1, 'realtime-gateway': { apiKey: 'sk-file' } });
    expect(simulatorNeeded({ VOXBUS_CONFIG: withKey })).toBe(false);
    expect(simulatorNeeded({ VOXBUS_CONFIG: withKey, VOXBUS_REALTIME_GATEWAY__PROVIDER: 'sim' })).toBe(true);
    // A file the services cannot read is theirs to report: the runner starts the simulator as with no key.
    expect(simulatorNeeded({ VOXBUS_CONFIG: '/nonexistent/voxbus.json' })).toBe(true);
  });
});
