import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { withPacketLimit } from '../src/mosquitto.js';

const shipped = readFileSync(new URL('../../mosquitto/voxbus.conf', import.meta.url), 'utf8');

describe("Mosquitto's configuration under the run command", () => {
  it('ships the default payload limit plus 1 KiB for the topic and headers', () => {
    expect(shipped).toMatch(/^max_packet_size 263168$/m);
    expect(withPacketLimit(shipped, undefined)).toBe(shipped);
  });

  it('follows bus.maxPayloadBytes when it is set, and refuses a value that is not a size', () => {
    const conf = withPacketLimit(shipped, '65536');
    expect(conf.match(/^max_packet_size .*$/gm)).toEqual(['max_packet_size 66560']);
    expect(() => withPacketLimit(shipped, '64k')).toThrow('VOXBUS_BUS__MAX_PAYLOAD_BYTES=64k is not a positive whole number of bytes');
  });
});
