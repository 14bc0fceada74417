import WebSocket from 'ws';

/** How long a closing socket may take to answer our close frame before it is cut. */
const CLOSE_HANDSHAKE_MS = 1000;

/**
 * Ends a socket we let go of. With a reason, an open socket gets a normal close frame (1000)
 * and a second to answer before it is cut, so the service sees a clean end rather than 1006;
 * without one (a dead or refused link) it is cut at once.
 */
export function endSocket(socket: WebSocket, reason: string | undefined): void {
  socket.removeAllListeners('close');
  socket.on('error', () => {});
  if (reason === undefined || socket.readyState !== WebSocket.OPEN) {
    socket.terminate();
    return;
  }
  const cut = setTimeout(() => socket.terminate(), CLOSE_HANDSHAKE_MS);
  cut.unref();
  socket.once('close', () => clearTimeout(cut));
  // A close reason is at most 123 bytes.
  socket.close(1000, Buffer.from(reason).subarray(0, 123).toString());
}
