import { bodyParser } from '@koa/bodyparser';
import Router from '@koa/router';
import Koa from 'koa';
import type { Config } from '../config.js';
import type { Knex } from '../db.js';
import { migrationStatus } from '../db.js';
import { NotFoundError } from '../errors.js';
import type { Logger } from '../logger.js';
import type { DomainModule } from '../module.js';
import { ApiRegistry } from './api.js';
import type { AppState } from './context.js';
import { errorHandler, type ErrorPageRenderer } from './error-handler.js';
import { startsWithPath } from './path-prefix.js';
import { requestContext } from './request-context.js';
import { trustedProxyList } from './client-address.js';
import { securityHeaders } from './security-headers.js';
import { z } from 'zod';

export type { DomainModule } from '../module.js';

/** What a request offers for choosing its language (query `?lang=`, cookie, header). */
export interface LanguageInput {
  query?: string;
  cookie?: string;
  acceptLanguage?: string;
}

/**
 * What the HTTP app needs from the rest of the appliance. The platform knows no
 * domain: the composition root passes in what is mounted and how pages look.
 */
export interface HttpDeps {
  /** Domain modules, mounted in order (middleware, API routes, pages). */
  domains?: DomainModule[];
  /** Renders an error page for browsers (the web layer's layout). */
  errorPage: ErrorPageRenderer;
  /** Chooses the language of a request. */
  language: (input: LanguageInput) => AppState['lang'];
  /** Serves /static (the web layer's assets); runs before body parsing. */
  staticFiles?: Koa.Middleware<AppState>;
  config: Readonly<Config>;
  db: Knex;
  logger: Logger;
  version: string;
  /** Extra API routes (tests and later domains register theirs here). */
  extendApi?: (api: ApiRegistry) => void;
  /** Whether HTTPS is on (HSTS, Secure cookies). */
  tls?: boolean;
  /** Answer only paths under this prefix (any case), 404 for the rest: the agent API's own port. */
  only?: string;
  /** A part of the appliance beyond the database that `/readyz` checks: the reason it is down, or undefined. */
  notReady?: () => string | undefined;
}

const apiRootSchema = z.object({
  name: z.literal('uurwerk'),
  version: z.string(),
  openapi: z.string(),
});

/**
 * Builds the Koa application: request id and logging, security headers, the one
 * error middleware, language, static assets, health probes, the JSON API under
 * /api/v1 (with 405 for known paths and wrong methods) and the pages.
 */
export function createHttpApp(deps: HttpDeps): Koa<AppState> {
  const { config } = deps;
  const proxies = trustedProxyList(config.server);
  // Proxy mode only with trusted proxies; requestContext drops forwarding headers from anyone else.
  const app = new Koa<AppState>({ proxy: proxies.length > 0 });
  app.silent = true; // the error middleware logs; Koa's default stderr printer must not

  for (const d of deps.domains ?? []) for (const m of d.admission ?? []) app.use(m);
  app.use(requestContext(deps.logger, proxies));
  app.use(securityHeaders({ hsts: deps.tls === true }));
  app.use(async (ctx, next) => {
    const query = typeof ctx.query.lang === 'string' ? ctx.query.lang : undefined;
    ctx.state.lang = deps.language({ query, cookie: ctx.cookies.get('lang'), acceptLanguage: ctx.get('Accept-Language') });
    // An explicit ?lang= that the chooser accepted is remembered for the next pages.
    if (query === ctx.state.lang) {
      ctx.cookies.set('lang', query, { httpOnly: true, sameSite: 'strict', secure: deps.tls === true, maxAge: 365 * 24 * 3600 * 1000 });
    }
    await next();
  });
  app.use(errorHandler(deps.errorPage));
  const only = deps.only?.toLowerCase();
  if (only) {
    app.use((ctx, next) => {
      if (!startsWithPath(ctx.path, only)) throw new NotFoundError();
      return next();
    });
  }
  if (deps.staticFiles) app.use(deps.staticFiles);
  app.use(
    bodyParser({
      enableTypes: ['json', 'form'],
      jsonLimit: `${config.server.body_limit_kb}kb`,
      formLimit: `${config.server.body_limit_kb}kb`,
      jsonStrict: true,
      encoding: 'utf-8',
      // Held back until the route has authenticated the caller (see AppState.bodyError).
      onError: (err, ctx) => {
        (ctx as unknown as { state: AppState }).state.bodyError = err;
      },
    }),
  );

  for (const d of deps.domains ?? []) for (const m of d.middleware ?? []) app.use(m);

  const health = new Router<AppState>();
  health.get('/healthz', (ctx) => {
    ctx.body = { status: 'ok' };
  });
  health.get('/readyz', async (ctx) => {
    try {
      const { pending } = await migrationStatus(deps.db);
      if (pending.length > 0) {
        ctx.status = 503;
        ctx.body = { status: 'not_ready', reason: 'migrations_pending', pending };
        return;
      }
      const down = deps.notReady?.();
      if (down) {
        ctx.status = 503;
        ctx.body = { status: 'not_ready', reason: down };
        return;
      }
      ctx.body = { status: 'ready' };
    } catch (err) {
      ctx.state.log.warn({ err }, 'readiness check failed');
      ctx.status = 503;
      ctx.body = { status: 'not_ready', reason: 'database_unreachable' };
    }
  });
  app.use(health.routes());
  app.use(health.allowedMethods());

  const api = new ApiRegistry();
  api.add({
    method: 'get', path: '/', operationId: 'apiRoot', summary: 'API entry point', tags: ['meta'], auth: 'anonymous',
    response: apiRootSchema,
    handler: () => ({ name: 'uurwerk' as const, version: deps.version, openapi: '/api/v1/openapi.json' }),
  });
  for (const d of deps.domains ?? []) d.api?.(api);
  deps.extendApi?.(api);
  const openapi = api.openapi({ title: 'Uurwerk API', version: deps.version });
  app.use(apiBySegment(api, (routerFor) => {
    routerFor('/openapi.json').get('/openapi.json', (ctx) => {
      ctx.body = openapi;
    });
  }));

  for (const d of deps.domains ?? []) {
    if (!d.pages) continue;
    app.use(d.pages.routes());
    app.use(d.pages.allowedMethods());
  }
  return app;
}

const API_PREFIX = '/api/v1';

/** The first segment of a path below the API prefix (`/me/days/:date` → `me`; `/` → ''). */
function firstSegment(pathBelowPrefix: string): string {
  const rest = pathBelowPrefix.startsWith('/') ? pathBelowPrefix.slice(1) : pathBelowPrefix;
  const slash = rest.indexOf('/');
  return (slash < 0 ? rest : rest.slice(0, slash)).toLowerCase();
}

/**
 * The API's routes on one router per first path segment (`/me`, `/aw`, `/days`, …).
 * The router tests a request against each of its routes' patterns in turn, so with
 * one router for the whole API every request paid for all of them; here it is tested
 * against its own segment's routes only. 404 and 405 answer as before: a path can only
 * match routes that share its first segment, which must therefore be literal (no
 * parameter there; checked at start). Matching stays case-insensitive, like the router's.
 */
function apiBySegment(api: ApiRegistry, more: (routerFor: (path: string) => Router<AppState>) => void): Koa.Middleware<AppState> {
  const routers = new Map<string, Router<AppState>>();
  const routerFor = (path: string) => {
    const segment = firstSegment(path);
    if (/[:*(){}?\\]/.test(segment)) throw new Error(`API route ${path}: the first path segment must be literal`);
    let router = routers.get(segment);
    if (!router) routers.set(segment, (router = new Router<AppState>({ prefix: API_PREFIX })));
    return router;
  };
  api.mount(routerFor);
  more(routerFor);
  const bySegment = new Map<string, Koa.Middleware<AppState>>();
  for (const [segment, router] of routers) {
    const routes = router.routes() as unknown as Koa.Middleware<AppState>;
    const allowed = router.allowedMethods() as unknown as Koa.Middleware<AppState>;
    bySegment.set(segment, (ctx, next) => routes(ctx, () => allowed(ctx, next)));
  }
  return (ctx, next) => {
    const path = ctx.path;
    if (!startsWithPath(path, API_PREFIX) || (path.length > API_PREFIX.length && path[API_PREFIX.length] !== '/')) return next();
    const group = bySegment.get(firstSegment(path.slice(API_PREFIX.length)));
    return group ? group(ctx, next) : next();
  };
}
