import { createServer, type Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import type Koa from 'koa';
import type { LoadedTls } from '../tls.js';
import type { AppState } from './context.js';

/**
 * Serves the Koa app over HTTP or, with a certificate, HTTPS, and resolves once it
 * listens. Timeouts bound slow clients (a request may take 60 s, its headers 30 s).
 */
export async function listen(app: Koa<AppState>, opts: { host: string; port: number; tls?: LoadedTls }): Promise<{ server: Server; url: string }> {
  const server: Server = opts.tls ? createHttpsServer(opts.tls.options, app.callback()) : createServer(app.callback());
  server.requestTimeout = 60_000;
  server.headersTimeout = 30_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const addr = server.address() as AddressInfo;
  const host = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;
  return { server, url: `${opts.tls ? 'https' : 'http'}://${host}:${addr.port}` };
}

/**
 * Stops accepting connections and waits for in-flight requests; connections still
 * open after `graceMs` are cut.
 */
export async function closeServer(server: Server, graceMs: number): Promise<void> {
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  server.closeIdleConnections();
  const timer = setTimeout(() => server.closeAllConnections(), graceMs);
  await closed;
  clearTimeout(timer);
}
