/**
 * Refuses an over-long MQTT packet as soon as its length is read, before a byte of its body is
 * buffered: one unauthenticated 64 MB CONNECT took the broker from 78 to 140 MB. Aedes has no such
 * bound and parses with mqtt-packet, so this wraps the length step of the client's own parser (a
 * test holds it to the installed version).
 */
interface LengthParser {
  packet: { cmd?: string; length: number };
  _parseLength(): boolean;
  _emitError(error: Error): void;
}

export interface PacketLimits {
  /** Any packet before the login is through (the CONNECT: client id, will, user name and password; a few hundred bytes in practice). */
  readonly connectMaxBytes: number;
  /** Any packet once logged in (a PUBLISH's topic and payload). */
  readonly packetMaxBytes: number;
}

export function guardPacketLengths(client: unknown, limits: PacketLimits, refused: (cmd: string, bytes: number, beforeLogin: boolean) => void): void {
  const parser = (client as { _parser?: LengthParser })._parser;
  if (!parser || typeof parser._parseLength !== 'function') throw new Error('the MQTT parser is not where packet-guard expects it (aedes/mqtt-packet changed)');
  const parseLength = parser._parseLength;
  // Aedes sets `connected` once the login succeeded: until then (a PUBLISH sent right behind the
  // CONNECT, or in its place) nothing larger than a CONNECT is buffered.
  const loggedIn = () => (client as { connected?: boolean }).connected === true;
  parser._parseLength = function guardedLength(this: LengthParser): boolean {
    if (!parseLength.call(this)) return false;
    const cmd = this.packet.cmd ?? 'unknown';
    const max = loggedIn() ? limits.packetMaxBytes : limits.connectMaxBytes;
    if (this.packet.length <= max) return true;
    refused(cmd, this.packet.length, !loggedIn());
    this._emitError(new Error(`${cmd} packet of ${this.packet.length} bytes is over the ${max}-byte limit`));
    return false;
  };
}
