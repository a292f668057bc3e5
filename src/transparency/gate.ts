import type { Middleware } from 'koa';
import { requireAuth, requestActor } from '../identity/http.js';
import { AppError } from '../platform/errors.js';
import { inWall, walled } from '../timesheets/repository.js';
import type { AppContext, AppState } from '../platform/http/context.js';
import { hasAcknowledgedConfidentiality, hasAcknowledgedNotice } from './acks.js';
import type { TransparencyDeps } from './context.js';

/**
 * Two gates in front of the pages and routes of other modules (mounted right after
 * identity's session middleware):
 *
 * - the notice gate: a signed-in person who has not confirmed the notice version in
 *   force is sent to it from any page (GET, not API, not the notice itself, not the
 *   sign-in, second-factor, sign-out or static paths), and back afterwards;
 * - the confidentiality gate: a team admin who has not agreed to the confidentiality
 *   statement cannot open another person's day (page: redirect to the statement; API:
 *   403 `confidentiality_statement_required`). People reading their own days pass.
 */

/** The notice and statement pages. */
export const NOTICE_PATH = '/privacy/notice';
export const CONFIDENTIALITY_PATH = '/privacy/confidentiality';

/** Paths a person must reach before (or without) confirming the notice. */
const OPEN_PREFIXES = ['/privacy/notice', '/privacy/confidentiality', '/sign-in', '/sign-out', '/second-factor', '/password-reset', '/account/totp', '/static/', '/api/', '/healthz', '/readyz', '/favicon'];

/** A local path to return to: starts with one slash, no scheme or host, no backslash. */
export function safeReturnPath(value: unknown): string | undefined {
  if (typeof value !== 'string' || value.length > 2000) return undefined;
  if (!/^\/(?![/\\])/.test(value) || /[\\\s]/.test(value)) return undefined;
  return value;
}

/** `path?return=<the page asked for>`. */
export function withReturn(path: string, back: string): string {
  return `${path}?return=${encodeURIComponent(back)}`;
}

/** A full session (API tokens and half-done sign-ins are left to the routes), or undefined. */
async function fullSession(ctx: AppContext, deps: TransparencyDeps): Promise<string | undefined> {
  if (!ctx.state.auth || ctx.state.auth.apiToken) return undefined;
  try {
    return (await requireAuth(ctx, deps.db, deps.config)).accountId;
  } catch {
    return undefined; // the route answers (401, second-factor step) as it always does
  }
}

/** Sends a person who has not confirmed the notice version in force to the notice. */
export function noticeGate(deps: TransparencyDeps): Middleware<AppState> {
  return async (ctx, next) => {
    const c = ctx as unknown as AppContext;
    if ((ctx.method !== 'GET' && ctx.method !== 'HEAD') || OPEN_PREFIXES.some((p) => ctx.path.startsWith(p))) return next();
    const accountId = await fullSession(c, deps);
    if (!accountId) return next();
    const { version } = await deps.currentVersion();
    if (await hasAcknowledgedNotice(deps.db, accountId, version)) return next();
    ctx.redirect(withReturn(NOTICE_PATH, ctx.url));
  };
}

/** The day a request opens, if it opens one of other people's days: the id, or 'list'. */
function dayRequested(ctx: AppContext): { api: boolean; id: string | 'list' } | undefined {
  if (ctx.method !== 'GET' && ctx.method !== 'HEAD') return undefined;
  const api = /^\/api\/v1\/days(?:\/([^/]+))?\/?$/.exec(ctx.path);
  if (api) return { api: true, id: api[1] ?? 'list' };
  const page = /^\/timesheets\/days\/([^/]+)\/?$/.exec(ctx.path);
  if (page) return { api: false, id: page[1]! };
  if (/^\/timesheets\/inbox\/?$/.test(ctx.path)) return { api: false, id: 'list' };
  return undefined;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Stops a team admin who has not agreed to the confidentiality statement from opening other people's days. */
export function confidentialityGate(deps: TransparencyDeps): Middleware<AppState> {
  return async (ctx, next) => {
    const c = ctx as unknown as AppContext;
    const asked = dayRequested(c);
    if (!asked) return next();
    const accountId = await fullSession(c, deps);
    if (!accountId) return next();
    const actor = await requestActor(c, deps.db, accountId);
    if (!actor.roles.has('team_admin')) return next(); // only admins read other people's days
    if (await hasAcknowledgedConfidentiality(deps.db, accountId)) return next();
    if (asked.id !== 'list' && UUID.test(asked.id)) {
      // One's own day needs no statement. Any other id (also one that does not exist) is
      // gated alike, so the answer tells nothing about other people's days.
      const own = await inWall(deps.db, accountId, (w) => walled(w, (trx) => trx('timesheet_days').where({ id: asked.id, owner_id: accountId }).first('id')));
      if (own) return next();
    }
    if (asked.api) {
      throw new AppError(403, 'confidentiality_statement_required', `Agree to the confidentiality statement first: open ${CONFIDENTIALITY_PATH} or POST /api/v1/privacy/confidentiality/acknowledgements`);
    }
    ctx.redirect(withReturn(CONFIDENTIALITY_PATH, ctx.url));
  };
}
