import { randomUUID } from 'node:crypto';
import type { Middleware } from 'koa';
import type { Logger } from '../logger.js';
import { clientAddress, proxyMatcher } from './client-address.js';
import type { AppState } from './context.js';

/** Headers only a trusted proxy may set; from anyone else they are dropped. */
const FORWARDING_HEADERS = ['x-forwarded-for', 'x-forwarded-proto', 'x-forwarded-host'];

/**
 * Gives every request an id (echoed in `X-Request-Id`), a child logger carrying it,
 * the client's address (honouring X-Forwarded-For only from `trustedProxies`) and one
 * access-log line when the response is done. The address is personal data; it is in
 * the access log so abuse can be traced, and kept only as long as the logs. The path
 * logged is the matched route's pattern where there is one (`/api/v1/aw/api/0/buckets/:id`),
 * so what a client puts in a path (a bucket named after a laptop, a date) stays out of the log.
 */
export function requestContext(root: Logger, trustedProxies: readonly string[] = []): Middleware<AppState> {
  const log = root.child({ module: 'http' });
  const trusted = proxyMatcher(trustedProxies);
  return async (ctx, next) => {
    const requestId = randomUUID();
    const peer = ctx.req.socket.remoteAddress ?? '';
    if (!trusted(peer)) {
      // Koa reads these when proxy mode is on; an untrusted peer must not steer them.
      for (const h of FORWARDING_HEADERS) delete ctx.req.headers[h];
    }
    const address = clientAddress(peer, ctx.get('X-Forwarded-For') || undefined, trusted);
    ctx.request.ip = address; // what ctx.ip (sign-in records, throttling) answers from here on
    ctx.state.requestId = requestId;
    // The child logger is made when something logs (pino writes its bindings out when it
    // makes one); the access line below goes through the parent with the same field.
    let child: Logger | undefined;
    Object.defineProperty(ctx.state, 'log', {
      get: () => (child ??= log.child({ requestId })),
      set: (v: Logger) => {
        child = v;
      },
      enumerable: true, configurable: true,
    });
    ctx.set('X-Request-Id', requestId);
    const started = ctx.state.receivedAt ?? process.hrtime.bigint();
    try {
      await next();
    } finally {
      if (log.isLevelEnabled('info')) {
        const ms = Number(process.hrtime.bigint() - started) / 1e6;
        const route = (ctx as { _matchedRoute?: unknown })._matchedRoute;
        const line = { method: ctx.method, path: typeof route === 'string' ? route : ctx.path, status: ctx.status, ms: Math.round(ms * 10) / 10, client: address };
        if (child) child.info(line, 'request');
        else log.info({ requestId, ...line }, 'request');
      }
    }
  };
}
