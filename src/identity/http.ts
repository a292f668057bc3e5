import type { Middleware } from 'koa';
import type { Config } from '../platform/config.js';
import type { Knex } from '../platform/db.js';
import { AppError, UnauthenticatedError } from '../platform/errors.js';
import type { Authenticator } from '../platform/http/api.js';
import type { AppContext, AppState, RequestAuth } from '../platform/http/context.js';
import { isLoopback } from '../platform/net.js';
import { findApiToken } from './api-tokens.js';
import { loadActor, sessionState, type SessionState } from './auth-service.js';
import { authorize, type Actor } from './policy.js';
import { csrfMatches, csrfTokenFor, findLiveSession } from './sessions-service.js';

/**
 * Session cookie settings. `__Host-` requires `Secure`; browsers accept Secure cookies
 * over HTTPS and from http://localhost/127.0.0.1 (secure contexts). Only a plain-HTTP
 * appliance on a network address (which logs a loud warning) falls back to a
 * non-prefixed, non-Secure cookie, because browsers would drop the other.
 */
export interface CookiePolicy {
  name: string;
  secure: boolean;
}

/** Chooses the cookie policy for how the server is reached. */
export function cookiePolicy(config: Readonly<Config>, tls: boolean): CookiePolicy {
  const secure = tls || isLoopback(config.server.host);
  return { name: secure ? '__Host-uurwerk_session' : 'uurwerk_session', secure };
}

/** Sets the session cookie: HttpOnly, SameSite=Strict, Path=/, no Domain, Secure when possible. */
export function setSessionCookie(ctx: AppContext, policy: CookiePolicy, token: string): void {
  ctx.append('Set-Cookie', `${policy.name}=${token}; Path=/; HttpOnly; SameSite=Strict${policy.secure ? '; Secure' : ''}`);
}

/** Removes the session cookie from the browser. */
export function clearSessionCookie(ctx: AppContext, policy: CookiePolicy): void {
  ctx.append('Set-Cookie', `${policy.name}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0${policy.secure ? '; Secure' : ''}`);
}

function readCookie(ctx: AppContext, name: string): string | undefined {
  const header = ctx.get('Cookie');
  for (const part of header.split(';')) {
    const [k, ...v] = part.trim().split('=');
    if (k === name) return v.join('=');
  }
  return undefined;
}

const UNSAFE = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/**
 * Loads the session from the cookie into `ctx.state.auth` and enforces CSRF rules on
 * every state-changing request: with a session, the request must carry the session's
 * CSRF token (`X-CSRF-Token` header or `_csrf` form field); without one (sign-in,
 * password reset), a cross-site Origin or Sec-Fetch-Site is refused.
 */
export function sessionMiddleware(db: Knex, config: Readonly<Config>, policy: CookiePolicy): Middleware<AppState> {
  return async (ctx, next) => {
    const c = ctx as unknown as AppContext;
    const bearer = /^Bearer (\S+)$/i.exec(ctx.get('Authorization'))?.[1];
    if (bearer) {
      // A personal API token: no cookie is involved, so no CSRF check is needed; an
      // invalid token is a 401 rather than falling back to a cookie session.
      const t = await findApiToken(db, bearer, config.auth.token_cache_seconds);
      if (!t) throw new UnauthenticatedError('The API token is not valid (unknown, expired or revoked)');
      ctx.state.actor = t.actor; // loaded with the token: no second lookup in the authenticator
      ctx.state.auth = { sessionId: `token:${t.id}`, accountId: t.accountId, token: '', secondFactorDone: true, createdAt: new Date(), absoluteExpiresAt: new Date(8.64e15), apiToken: { id: t.id, scopes: t.scopes } };
      return next();
    }
    const token = readCookie(c, policy.name);
    if (token && /^[A-Za-z0-9_-]{43}$/.test(token)) {
      const s = await findLiveSession(db, token, config.auth);
      if (s) {
        ctx.state.auth = { sessionId: s.id, accountId: s.accountId, token, secondFactorDone: s.secondFactorDone, createdAt: s.createdAt, absoluteExpiresAt: s.absoluteExpiresAt };
        // Read with the session: the gates of a full session need no second lookup of the roles.
        if (s.secondFactorDone && s.actor) ctx.state.actor = s.actor;
      }
    }
    if (UNSAFE.has(ctx.method)) {
      // Browsers label every request with Sec-Fetch-Site; trust it when present. Without
      // it (older browsers, scripts), an Origin header must be our own scheme://host
      // (Koa 3's ctx.origin echoes the Origin header, so it is built here).
      const site = ctx.get('Sec-Fetch-Site');
      const origin = ctx.get('Origin');
      const crossSite = site
        ? site !== 'same-origin' && site !== 'none'
        : origin !== '' && origin !== `${ctx.protocol}://${ctx.host}`;
      if (crossSite) throw new AppError(403, 'cross_site_request', 'Cross-site requests are refused');
      if (ctx.state.auth) {
        const body = (ctx.request as { body?: Record<string, unknown> }).body;
        const presented = ctx.get('X-CSRF-Token') || (typeof body?._csrf === 'string' ? body._csrf : undefined);
        if (!csrfMatches(ctx.state.auth.token, presented)) throw new AppError(403, 'csrf_failed', 'Missing or wrong CSRF token; reload the page');
      }
    }
    await next();
  };
}

/** The CSRF token for forms and API calls of this request's session. */
export function csrfToken(ctx: AppContext): string | undefined {
  return ctx.state.auth ? csrfTokenFor(ctx.state.auth.token) : undefined;
}

/** Thrown when only the second-factor pages are reachable yet. */
export class SecondFactorRequiredError extends AppError {
  constructor(readonly state: Exclude<SessionState, 'authenticated'>) {
    super(403, state, state === 'totp_enrolment_required' ? 'Enrol a second factor (TOTP) first' : 'Complete the second factor first');
  }
}

/**
 * The session of a fully signed-in person, or 401. A session that has passed only the
 * password reaches nothing but the second-factor steps (403 naming the step).
 */
export async function requireAuth(ctx: AppContext, db: Knex, config: Readonly<Config>, opts: { tokenScope?: string } = {}): Promise<RequestAuth> {
  const auth = ctx.state.auth;
  if (!auth) throw new UnauthenticatedError();
  if (auth.apiToken) {
    // Tokens reach only the calls that name a scope the token carries.
    if (!opts.tokenScope) throw new AppError(403, 'token_not_allowed', 'Personal API tokens cannot be used for this call; sign in instead');
    if (!auth.apiToken.scopes.includes(opts.tokenScope)) throw new AppError(403, 'token_scope', `This API token lacks the scope ${opts.tokenScope}`);
    return auth;
  }
  if (!auth.secondFactorDone) {
    const state = await sessionState(db, config, auth.accountId, false);
    if (state !== 'authenticated') throw new SecondFactorRequiredError(state);
  }
  return auth;
}

/** Any live session, also one waiting for its second factor (for the second-factor steps). */
export function requirePartialAuth(ctx: AppContext): RequestAuth {
  if (!ctx.state.auth) throw new UnauthenticatedError();
  if (ctx.state.auth.apiToken) throw new AppError(403, 'token_not_allowed', 'Personal API tokens cannot be used for this call; sign in instead');
  return ctx.state.auth;
}

/**
 * Enforces the API routes' auth declarations (the registry calls it before it looks at
 * the body): 401 without a session, 403 for a token where none is allowed or a missing
 * scope, 403 naming the second-factor step, then 403 for a role the route does not
 * admit. A full session's actor is loaded once and kept in `ctx.state.actor`.
 */
export function authenticator(db: Knex, config: Readonly<Config>): Authenticator {
  return async (ctx, requirement) => {
    if (requirement === 'partial-session') {
      requirePartialAuth(ctx);
      return;
    }
    const auth = await requireAuth(ctx, db, config, { tokenScope: requirement.token });
    const actor = await requestActor(ctx, db, auth.accountId);
    authorize(actor, 'call', { roles: requirement.roles ?? [] });
  };
}

/**
 * The signed-in person's actor, loaded once per request: the gates, the menu and the
 * page of one request share it (`ctx.state.actor`), instead of each reading the roles.
 */
export async function requestActor(ctx: AppContext, db: Knex, accountId: string): Promise<Actor> {
  const known = ctx.state.actor;
  if (known && known.accountId === accountId) return known as Actor;
  const actor = await loadActor(db, accountId);
  ctx.state.actor = actor;
  return actor;
}

/**
 * The actor the route's authenticator loaded. Only for routes declared with
 * `{ session: true }`; anything else is a programming error (500).
 */
export function currentActor(ctx: AppContext): Actor {
  const actor = ctx.state.actor;
  if (!actor) throw new Error('currentActor() on a route that did not declare a session');
  return actor as Actor;
}

/** The session of a route declared `{ session: true }`, already checked by the authenticator. */
export function signedIn(ctx: AppContext): RequestAuth {
  if (!ctx.state.auth) throw new UnauthenticatedError();
  return ctx.state.auth;
}
