import Router from '@koa/router';
import { csrfToken, requireAuth, SecondFactorRequiredError, requestActor } from '../identity/http.js';
import type { Actor } from '../identity/policy.js';
import { AppError, NotFoundError, UnauthenticatedError } from '../platform/errors.js';
import { validate } from '../platform/http/api.js';
import type { AppContext, AppState } from '../platform/http/context.js';
import { assertCleanInput } from '../platform/http/input-guard.js';
import { html } from '../web/html.js';
import { sendPage } from '../web/routes.js';
import { acknowledgeConfidentiality, acknowledgeNotice, hasAcknowledgedConfidentiality, noticeAcknowledgedAt } from './acks.js';
import { CONFIDENTIALITY_VERSION, type TransparencyDeps } from './context.js';
import { privacyFacts } from './facts.js';
import { CONFIDENTIALITY_PATH, NOTICE_PATH, safeReturnPath } from './gate.js';
import { noticeAckBody } from './schema.js';
import { tr } from './strings.js';
import { privacySettingsHistory } from './versions.js';
import { confidentialityView, noticeView, packView } from './views.js';
import { signInUrl } from '../web/next.js';

/**
 * The pages: the privacy notice (everyone signed in; confirm once per version), the
 * confidentiality statement (team admins) and the works-council pack. The pack is for
 * the privacy officer, auditors and operators — the people who prepare, check and
 * configure what the works council is asked to consent to; it names the directory
 * groups that grant roles, which is internal detail. Employees have the notice.
 */

/** Roles that open the works-council pack. */
export const PACK_ROLES = ['dpo', 'auditor', 'operator'] as const;

const c = (ctx: unknown) => ctx as AppContext;
type Form = Record<string, unknown>;
const form = (ctx: AppContext): Form => ((ctx.request as { body?: Form }).body ?? {}) as Form;

/** Runs a page that needs a full session; others go to sign-in. */
async function page(ctx: AppContext, deps: TransparencyDeps, fn: (actor: Actor) => Promise<void>): Promise<void> {
  let accountId: string;
  try {
    accountId = (await requireAuth(ctx, deps.db, deps.config)).accountId;
  } catch (err) {
    if (err instanceof SecondFactorRequiredError) return ctx.redirect('/second-factor');
    if (err instanceof UnauthenticatedError) return ctx.redirect(signInUrl(ctx));
    throw err;
  }
  assertCleanInput(ctx);
  await fn(await requestActor(ctx, deps.db, accountId));
}

/** The transparency pages' router. */
export function transparencyPages(deps: TransparencyDeps): Router<AppState> {
  const router = new Router<AppState>();

  const showNotice = async (ctx: AppContext, actor: Actor, returnTo?: string, problem?: string) => {
    const lang = ctx.state.lang;
    const v = await deps.currentVersion();
    const acknowledgedAt = await noticeAcknowledgedAt(deps.db, actor.accountId, v.version);
    const body = noticeView(lang, privacyFacts(deps.config), v, { acknowledgedAt, csrf: csrfToken(ctx) ?? '', returnTo });
    sendPage(ctx, deps.config, tr(lang, 'notice.title'), html`<link rel="stylesheet" href="/static/transparency.css">${problem ? html`<p class="notice error" role="alert">${problem}</p>` : ''}${body}`);
  };
  router.get(NOTICE_PATH, (ctx) => page(c(ctx), deps, (actor) => showNotice(c(ctx), actor, safeReturnPath(ctx.query.return))));
  router.post(NOTICE_PATH, (ctx) => page(c(ctx), deps, async (actor) => {
    const returnTo = safeReturnPath(form(c(ctx)).return);
    try {
      await acknowledgeNotice(deps, actor.accountId, validate(noticeAckBody, { version: form(c(ctx)).version }).version);
    } catch (err) {
      // A version that changed while the page was open: show the new one with the reason.
      if (!(err instanceof AppError) || err.status !== 409) throw err;
      ctx.status = 409;
      return showNotice(c(ctx), actor, returnTo, err.message);
    }
    ctx.redirect(returnTo ?? NOTICE_PATH);
  }));

  const adminOnly = (actor: Actor) => {
    if (!actor.roles.has('team_admin')) throw new NotFoundError();
  };
  router.get(CONFIDENTIALITY_PATH, (ctx) => page(c(ctx), deps, async (actor) => {
    adminOnly(actor);
    const lang = c(ctx).state.lang;
    const returnTo = safeReturnPath(ctx.query.return);
    if (returnTo && (await hasAcknowledgedConfidentiality(deps.db, actor.accountId))) return ctx.redirect(returnTo);
    sendPage(c(ctx), deps.config, tr(lang, 'conf.title'), confidentialityView(lang, CONFIDENTIALITY_VERSION, csrfToken(c(ctx)) ?? '', returnTo));
  }));
  router.post(CONFIDENTIALITY_PATH, (ctx) => page(c(ctx), deps, async (actor) => {
    adminOnly(actor);
    await acknowledgeConfidentiality(deps, actor.accountId);
    ctx.redirect(safeReturnPath(form(c(ctx)).return) ?? '/timesheets/inbox');
  }));

  router.get('/privacy/works-council', (ctx) => page(c(ctx), deps, async (actor) => {
    if (!PACK_ROLES.some((r) => actor.roles.has(r))) throw new NotFoundError();
    const lang = c(ctx).state.lang;
    await deps.currentVersion(); // the history ends with the settings the pack describes
    const body = packView(lang, privacyFacts(deps.config), await privacySettingsHistory(deps.db), new Date());
    sendPage(c(ctx), deps.config, tr(lang, 'pack.title'), html`<link rel="stylesheet" href="/static/transparency.css">${body}`);
  }));
  return router;
}
