import { createConnection, createServer, type Socket } from 'node:net';
import { systemClock } from '@voxbus/shared';

/**
 * The floor of a bus hop on this machine: the same process topology as one MQTT hop (source →
 * middle process → sink over loopback TCP with TCP_NODELAY, 960-byte messages at 50/s), with a
 * bare Node relay instead of a broker and no MQTT at all. Whatever a broker hop costs above
 * this is the broker's and the client's; this much is process wake-ups and sockets.
 *   relay LISTEN_PORT SINK_PORT | sink LISTEN_PORT | source RELAY_PORT
 */
const [role, portArg, nextArg] = process.argv.slice(2);
const send = (message: unknown) => process.send?.(message);
const MESSAGE_BYTES = 992;

function listen(port: number, onSocket: (socket: Socket) => void): void {
  createServer((socket) => {
    socket.setNoDelay(true);
    onSocket(socket);
  }).listen(port, '127.0.0.1', () => send({ event: 'connected' }));
}

if (role === 'relay') {
  const out = createConnection({ port: Number(nextArg), host: '127.0.0.1', noDelay: true });
  listen(Number(portArg), (socket) => socket.on('data', (chunk) => out.write(chunk)));
} else if (role === 'sink') {
  const latenciesUs: [number, number][] = [];
  let pending: Buffer = Buffer.alloc(0);
  listen(Number(portArg), (socket) =>
    socket.on('data', (chunk: Buffer) => {
      pending = pending.length > 0 ? Buffer.concat([pending, chunk]) : chunk;
      while (pending.length >= MESSAGE_BYTES) {
        const now = systemClock.monotonicUs();
        latenciesUs.push([pending.readUInt32LE(0), now - (pending.readUInt32LE(4) + pending.readUInt32LE(8) * 0x1_0000_0000)]);
        pending = pending.subarray(MESSAGE_BYTES);
      }
    }),
  );
  process.on('message', (message: { cmd: string }) => {
    if (message.cmd === 'report') send({ event: 'report', latenciesUs });
  });
} else {
  const socket = createConnection({ port: Number(portArg), host: '127.0.0.1', noDelay: true }, () => send({ event: 'connected' }));
  process.on('message', (message: { cmd: string; frames: number }) => {
    if (message.cmd !== 'run') return;
    // No warm-up needed: a bare relay has no JIT-heavy path to warm.
    const startMs = performance.now();
    let sequence = 0;
    const tick = (): void => {
      const buffer = Buffer.alloc(MESSAGE_BYTES);
      const nowUs = systemClock.monotonicUs();
      buffer.writeUInt32LE(sequence, 0);
      buffer.writeUInt32LE(nowUs % 0x1_0000_0000, 4);
      buffer.writeUInt32LE(Math.floor(nowUs / 0x1_0000_0000), 8);
      socket.write(buffer);
      sequence++;
      if (sequence >= message.frames) return void send({ event: 'done' });
      setTimeout(tick, Math.max(0, startMs + sequence * 20 - performance.now()));
    };
    tick();
  });
}
process.on('message', (message: { cmd: string }) => {
  if (message.cmd === 'stop') process.exit(0);
});
