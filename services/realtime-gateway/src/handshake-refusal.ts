import type { IncomingMessage } from 'node:http';

/**
 * Reads why the service refused the handshake (Azure: "invalid subscription key…") and says it
 * once: at the body's end, on a read error, or after two seconds, whichever comes first.
 */
export function readRefusal(response: IncomingMessage, decide: (status: number, reason: string) => void): void {
  const status = response.statusCode ?? 0;
  let body = '';
  let decided = false;
  const once = (): void => {
    if (decided) return;
    decided = true;
    decide(status, `HTTP ${status} at the handshake${body ? `: ${body.trim()}` : ''}`);
  };
  response.on('data', (chunk: Buffer) => (body = (body + chunk.toString()).slice(0, 500)));
  response.on('end', once);
  response.on('error', once);
  setTimeout(once, 2000).unref();
}
