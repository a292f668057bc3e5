import Router from '@koa/router';
import { requireAuth, SecondFactorRequiredError, requestActor } from '../identity/http.js';
import type { Actor } from '../identity/policy.js';
import { UnauthenticatedError, ValidationError } from '../platform/errors.js';
import { validate } from '../platform/http/api.js';
import type { AppContext, AppState } from '../platform/http/context.js';
import { assertCleanInput } from '../platform/http/input-guard.js';
import type { SafeHtml } from '../web/html.js';
import { apiFieldLabels, problemText, type FieldLabels } from '../web/problems.js';
import { sendPage } from '../web/routes.js';
import type { ComplianceDeps } from './context.js';
import { authorizeAuditorRead } from './policy.js';
import * as s from './schema.js';
import { readAccessReview, readConfigFlags, readEvents, readHome, readRetention, readVerification } from './service.js';
import { cs } from './strings.js';
import { accessReviewView, configurationView, homeView, logView, retentionView, verificationView } from './views.js';
import { signInUrl } from '../web/next.js';

export { COMPLIANCE_PROBLEMS } from './problems.js';

/**
 * The auditor's pages under /audit: a start page tying the views together, the audit
 * log, the verification state, the access review, the retention state and the
 * configuration flags. Read-only; the same service functions as the API, so each
 * page read is audited the same way. Others get the error page with 403 ("this
 * view is for auditors"); signed-out visitors go to sign-in. The export page
 * (/audit/export) is the compliance export's own.
 */

const c = (ctx: unknown) => ctx as AppContext;

/** Runs a page that needs a full session; others go to sign-in (who you are before what you sent). */
async function page(ctx: AppContext, deps: ComplianceDeps, fn: (actor: Actor) => Promise<void>): Promise<void> {
  let accountId: string;
  try {
    accountId = (await requireAuth(ctx, deps.db, deps.config)).accountId;
  } catch (err) {
    if (err instanceof SecondFactorRequiredError) return ctx.redirect('/second-factor');
    if (err instanceof UnauthenticatedError) return ctx.redirect(signInUrl(ctx));
    throw err;
  }
  const actor = await requestActor(ctx, deps.db, accountId);
  authorizeAuditorRead(actor); // before reading anything the caller sent
  assertCleanInput(ctx);
  await fn(actor);
}

/** The query's non-empty values (an empty form field means "not given"), the layout's `lang` switch left out. */
function queryFields(ctx: AppContext): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [name, v] of Object.entries(ctx.query)) if (name !== 'lang' && v !== undefined && v !== '') out[name] = v;
  return out;
}

/** The auditor's pages' router. */
export function compliancePages(deps: ComplianceDeps): Router<AppState> {
  const router = new Router<AppState>();
  const render = (ctx: AppContext, title: string, body: SafeHtml) => sendPage(ctx, deps.config, title, body);

  router.get('/audit', (ctx) => page(c(ctx), deps, async (actor) => {
    const l = c(ctx).state.lang;
    const home = await readHome(deps, actor);
    render(c(ctx), cs(l, 'home.title'), homeView(l, home.verification, home.flags));
  }));

  router.get('/audit/log', (ctx) => page(c(ctx), deps, async (actor) => {
    const l = c(ctx).state.lang;
    const fields = queryFields(c(ctx));
    const shown = Object.fromEntries(Object.entries(fields).map(([k, v]) => [k, typeof v === 'string' ? v : undefined]));
    try {
      const q = validate(s.eventsQuery, fields, { prefix: 'query' });
      render(c(ctx), cs(l, 'log.title'), logView(l, shown, await readEvents(deps, actor, q)));
    } catch (err) {
      if (!(err instanceof ValidationError)) throw err;
      c(ctx).status = 422;
      const labels: FieldLabels = l === 'en' ? apiFieldLabels(err) : { actor: cs(l, 'log.actor'), subject: cs(l, 'log.subject'), action: cs(l, 'log.action'), from: cs(l, 'log.from'), to: cs(l, 'log.to') };
      render(c(ctx), cs(l, 'log.title'), logView(l, shown, null, problemText(l, err, labels)));
    }
  }));

  router.get('/audit/verification', (ctx) => page(c(ctx), deps, async (actor) => {
    const l = c(ctx).state.lang;
    const q = validate(s.checkpointsQuery, queryFields(c(ctx)), { prefix: 'query' });
    render(c(ctx), cs(l, 'ver.title'), verificationView(l, await readVerification(deps, actor, q)));
  }));

  router.get('/audit/access-review', (ctx) => page(c(ctx), deps, async (actor) => {
    const l = c(ctx).state.lang;
    const q = validate(s.periodQuery, queryFields(c(ctx)), { prefix: 'query' });
    const r = await readAccessReview(deps, actor, q);
    render(c(ctx), cs(l, 'acc.title'), accessReviewView(l, { from: q.from ?? '', to: q.to ?? '' }, r.period, r.accounts));
  }));

  router.get('/audit/retention', (ctx) => page(c(ctx), deps, async (actor) => {
    const l = c(ctx).state.lang;
    render(c(ctx), cs(l, 'ret.title'), retentionView(l, await readRetention(deps, actor)));
  }));

  router.get('/audit/configuration', (ctx) => page(c(ctx), deps, async (actor) => {
    const l = c(ctx).state.lang;
    render(c(ctx), cs(l, 'cfg.title'), configurationView(l, await readConfigFlags(deps, actor)));
  }));

  return router;
}
