import type { Knex } from '../platform/db.js';
import type { AppState } from '../platform/http/context.js';
import type { DomainModule } from '../platform/module.js';
import type { Middleware } from 'koa';
import type { AuthDeps } from './auth-service.js';
import { purgeExpiredAuthRows } from './housekeeping.js';
import { cookiePolicy, sessionMiddleware } from './http.js';
import { identityPages } from './pages.js';
import { leaversRetention, signInRecordsRetention } from './retention.js';
import { registerIdentityApi } from './routes.js';
import { csrfTokenFor } from './sessions-service.js';

/**
 * The identity domain as the appliance mounts and runs it: the session middleware,
 * the sign-in API and pages, the housekeeping of used reset tokens and stale
 * throttle counters, and the retention of ended sessions and of leavers' profiles.
 */
export function identityModule(deps: AuthDeps, tls: boolean): DomainModule {
  const policy = cookiePolicy(deps.config, tls);
  return {
    name: 'identity',
    middleware: [exposeCsrf(sessionMiddleware(deps.db, deps.config, policy))],
    api: (api) => registerIdentityApi(api, deps, policy),
    pages: identityPages(deps, policy),
    housekeeping: [identityHousekeeping(deps.db)],
    retention: [signInRecordsRetention(), leaversRetention()],
  };
}

/** The housekeeping step of identity (counts keyed for the housekeeping log line). */
export function identityHousekeeping(db: Knex) {
  return async (): Promise<Record<string, number>> => {
    const r = await purgeExpiredAuthRows(db);
    return { purgedResets: r.resets, purgedThrottles: r.throttles };
  };
}

/** Whether any account exists yet (the start page explains how to create the first). */
export async function anyAccountExists(db: Knex): Promise<boolean> {
  return (await db('accounts').first('id')) !== undefined;
}

/**
 * Wraps the session middleware so that, once a session is known, its CSRF token is
 * in `ctx.state.csrf` for the page layout (web stays ignorant of sessions). Also set
 * when the session middleware refuses the request, so its error page still shows
 * the signed-in navigation.
 */
function exposeCsrf(session: Middleware<AppState>): Middleware<AppState> {
  // Computed when read (a page's layout), not for every API call: it costs an HMAC.
  const expose = (state: AppState) => {
    if (!state.auth || Object.prototype.hasOwnProperty.call(state, 'csrf')) return;
    const token = state.auth.token;
    let value: string | undefined;
    Object.defineProperty(state, 'csrf', {
      get: () => (value ??= csrfTokenFor(token)),
      set: (v: string | undefined) => {
        value = v;
      },
      enumerable: true, configurable: true,
    });
  };
  return async (ctx, next) => {
    try {
      await session(ctx, async () => {
        expose(ctx.state);
        await next();
      });
    } finally {
      expose(ctx.state);
    }
  };
}
