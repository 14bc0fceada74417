import { readFile } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

/** What the page needs to know before it connects: where the bus is on this port, and whether to ask for a login. */
export interface MonitorPageSettings {
  readonly wsPath: string;
  readonly baseTopic: string;
  readonly loginRequired: boolean;
}

const TYPES: Readonly<Record<string, string>> = { html: 'text/html; charset=utf-8', js: 'text/javascript; charset=utf-8', css: 'text/css; charset=utf-8' };

/**
 * The monitor page on GET / of the WebSocket port: its files (services/broker/monitor, beside
 * dist/ in the checkout and in the image), the browser build of mqtt.js it talks MQTT over
 * WebSocket with (from node_modules: no CDN, it works on a LAN without internet), and its settings.
 * Files are read on each request: a page is asked for rarely, and the broker keeps no copy.
 */
export function monitorPage(settings: MonitorPageSettings): (request: IncomingMessage, response: ServerResponse) => void {
  const pageDir = fileURLToPath(new URL('../monitor/', import.meta.url));
  const files: Readonly<Record<string, string>> = {
    '/': `${pageDir}index.html`,
    '/index.html': `${pageDir}index.html`,
    '/monitor.js': `${pageDir}monitor.js`,
    '/monitor.css': `${pageDir}monitor.css`,
    '/vendor/mqtt.esm.js': createRequire(import.meta.url).resolve('mqtt/dist/mqtt.esm'),
  };
  const config = JSON.stringify(settings);
  return (request, response) => {
    const path = (request.url ?? '/').split('?')[0] ?? '/';
    if (request.method !== 'GET') {
      response.writeHead(405, { 'content-type': 'text/plain', allow: 'GET' }).end('only GET here\n');
      return;
    }
    if (path === '/config.json') {
      response.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store' }).end(config);
      return;
    }
    const file = files[path];
    if (file === undefined) {
      response.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
      return;
    }
    readFile(file).then(
      (body) => response.writeHead(200, { 'content-type': TYPES[file.split('.').pop() ?? ''] ?? 'application/octet-stream', 'cache-control': 'no-cache' }).end(body),
      (error: Error) => response.writeHead(500, { 'content-type': 'text/plain' }).end(`the monitor page's ${path} is missing: ${error.message}\n`),
    );
  };
}
