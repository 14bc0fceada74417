import { describe, expect, it } from 'vitest';
import { CONTRACT } from '../src/contract/contract.js';

describe('the contract', () => {
  it('names each topic by its path: the key is the path with dots (realtime-gateway.state is realtime-gateway/state)', () => {
    const mismatched = Object.entries(CONTRACT)
      // Topics every service has are addressed by the service's name: their path starts with it.
      .filter(([, spec]) => !spec.path.startsWith('{service}/'))
      .filter(([key, spec]) => !`${spec.path}/`.startsWith(`${key.replaceAll('.', '/')}/`))
      .map(([key, spec]) => `${key} → ${spec.path}`);
    expect(mismatched).toEqual([]);
    expect(Object.keys(CONTRACT)).toContain('realtime-gateway.state');
    expect(Object.keys(CONTRACT)).toContain('audio-capture.state');
  });
});
