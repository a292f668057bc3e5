import Router from '@koa/router';
import { csrfToken, requireAuth, SecondFactorRequiredError, requestActor } from '../identity/http.js';
import type { Actor } from '../identity/policy.js';
import { AppError, UnauthenticatedError, ValidationError } from '../platform/errors.js';
import { validate } from '../platform/http/api.js';
import type { AppContext, AppState } from '../platform/http/context.js';
import { assertCleanInput } from '../platform/http/input-guard.js';
import { html, type SafeHtml } from '../web/html.js';
import { sendPage } from '../web/routes.js';
import { amendBreach, getBreach, listBreaches, recordBreach } from './breaches.js';
import { auditRegisterView } from './register-reads.js';
import type { PrivacyDeps } from './context.js';
import { isPrivacyOfficer } from './policy.js';
import { closeRequest, decideRequest, extendRequest, fileRequest, getRequest, listMyRequests, listRequests, noteIdentityCheck, recordRequest } from './requests.js';
import * as s from './schema.js';
import { p, type PrivacyKey } from './strings.js';
import type { Lang } from '../web/i18n.js';
import { apiFieldLabels, problemText, type FieldLabels } from '../web/problems.js';
import { breachDetailView, breachRegisterView, myRequestsView, notice, requestDetailView, requestRegisterView } from './views.js';
import { signInUrl } from '../web/next.js';

/**
 * The privacy pages: "My requests" for everyone signed in; the request and breach
 * registers for the privacy officer (with forms) and auditors (read-only). Others
 * get 404 on the registers. Forms are checked with the API's schemas, and the same
 * service functions do the work.
 */

type Form = Record<string, unknown>;
const c = (ctx: unknown) => ctx as AppContext;

/** The form's non-empty fields (empty inputs mean "not given"); numbers where the schema wants them. */
function formFields(ctx: AppContext, numbers: readonly string[] = []): Form {
  const body = ((ctx.request as { body?: Form }).body ?? {}) as Form;
  const out: Form = {};
  for (const [k, v] of Object.entries(body)) {
    if (k === '_csrf' || typeof v !== 'string' || v.trim() === '') continue;
    out[k] = numbers.includes(k) && /^\d+$/.test(v.trim()) ? Number(v.trim()) : v;
  }
  return out;
}

/** Runs a page that needs a full session; others go to sign-in (who you are before what you sent). */
async function page(ctx: AppContext, deps: PrivacyDeps, fn: (actor: Actor) => Promise<void>): Promise<void> {
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

/** Expected failures of a form post as a line on the page (422 and 409); anything else is thrown. */
function problemLine(l: Lang, err: unknown, breach: boolean): string | undefined {
  if (!(err instanceof ValidationError) && !(err instanceof AppError && err.status === 409)) return undefined;
  return problemText(l, err, formLabels(l, breach, err));
}

/** The privacy forms' fields by their labels (a label's hint in parentheses left out); English pages keep the API's names. */
function formLabels(l: Lang, breach: boolean, err: unknown): FieldLabels {
  if (l === 'en') return apiFieldLabels(err);
  const label = (key: PrivacyKey) => p(l, key).replace(/\s*\(.*\)$/, '');
  return {
    subject_id: label('req.subject_id'), subject_reference: label('req.reference'), kind: label('col.kind'), channel: label('req.channel'),
    received_at: label('req.received_at'), text: label('req.text'), identity_note: label('req.identity'), note: label(breach ? 'br.note' : 'req.identity'),
    reason: label('req.reason'), decision: label('col.decision'), ground: label('col.ground'), actions: label('col.actions'), told_at: label('req.told_at'),
    status: label('col.status'), detected_at: label('br.detected'), aware_at: label('br.aware'), what_happened: label('br.what'),
    data_categories: label('br.categories'), people_count: label('br.people'), records_count: label('br.records'), consequences: label('br.consequences'),
    measures: label('br.measures'), authority: label('br.authority'), authority_at: `${label('br.authority')}: ${label('br.when')}`,
    authority_reason: `${label('br.authority')}: ${label('br.reason')}`, people_informed: label('br.informed'),
    people_informed_at: `${label('br.informed')}: ${label('br.when')}`, people_informed_reason: `${label('br.informed')}: ${label('br.reason')}`,
  };
}

/** Runs a form's action, then redirects; an expected failure re-renders the page with the problem. */
async function post(ctx: AppContext, action: () => Promise<unknown>, to: string, rerender: (problem: string) => Promise<void>): Promise<void> {
  try {
    await action();
  } catch (err) {
    const problem = problemLine(ctx.state.lang, err, to.startsWith('/privacy/breaches'));
    if (!problem) throw err;
    ctx.status = err instanceof AppError ? err.status : 422;
    return rerender(problem);
  }
  ctx.redirect(to);
}

const idOf = (ctx: AppContext) => validate(s.idParams, { id: (ctx as { params?: Record<string, string> }).params?.id }, { prefix: 'path' }).id;
const ok = (ctx: AppContext, text: string) => (ctx.query.ok === '1' ? text : undefined);

/** The privacy pages' router. */
export function privacyPages(deps: PrivacyDeps): Router<AppState> {
  const router = new Router<AppState>();
  const render = (ctx: AppContext, title: string, top: SafeHtml, body: SafeHtml) => sendPage(ctx, deps.config, title, html`${top}${body}`);

  const myPage = async (ctx: AppContext, actor: Actor, problem?: string) => {
    const l = ctx.state.lang;
    render(ctx, p(l, 'my.title'), notice(problem, ok(ctx, p(l, 'my.filed'))), myRequestsView(l, csrfToken(ctx) ?? '', await listMyRequests(deps, actor)));
  };
  router.get('/privacy/my-requests', (ctx) => page(c(ctx), deps, (actor) => myPage(c(ctx), actor)));
  router.post('/privacy/my-requests', (ctx) => page(c(ctx), deps, (actor) =>
    post(c(ctx), () => fileRequest(deps, actor, validate(s.fileRequestBody, formFields(c(ctx)))), '/privacy/my-requests?ok=1', (problem) => myPage(c(ctx), actor, problem))));

  const requestsPage = async (ctx: AppContext, actor: Actor, problem?: string) => {
    const l = ctx.state.lang;
    const list = await listRequests(deps, actor);
    await auditRegisterView(deps, actor, 'requests', { filters: ctx.query });
    render(ctx, p(l, 'req.title'), notice(problem), requestRegisterView(l, csrfToken(ctx) ?? '', list, isPrivacyOfficer(actor)));
  };
  router.get('/privacy/requests', (ctx) => page(c(ctx), deps, (actor) => requestsPage(c(ctx), actor)));
  router.post('/privacy/requests', (ctx) => page(c(ctx), deps, (actor) =>
    post(c(ctx), () => recordRequest(deps, actor, validate(s.recordRequestBody, formFields(c(ctx)))), '/privacy/requests', (problem) => requestsPage(c(ctx), actor, problem))));

  const requestPage = async (ctx: AppContext, actor: Actor, id: string, problem?: string) => {
    const l = ctx.state.lang;
    const r = await getRequest(deps, actor, id);
    await auditRegisterView(deps, actor, 'request', { id });
    render(ctx, `${p(l, 'req.detail')} ${r.number}`, notice(problem), requestDetailView(l, csrfToken(ctx) ?? '', r, isPrivacyOfficer(actor)));
  };
  router.get('/privacy/requests/:id', (ctx) => page(c(ctx), deps, (actor) => requestPage(c(ctx), actor, idOf(c(ctx)))));
  const actions: Record<string, (actor: Actor, id: string, form: Form) => Promise<unknown>> = {
    'identity-check': (actor, id, form) => noteIdentityCheck(deps, actor, id, validate(s.identityBody, form).note),
    extension: (actor, id, form) => extendRequest(deps, actor, id, validate(s.extensionBody, form).reason),
    decision: (actor, id, form) => decideRequest(deps, actor, id, validate(s.decisionBody, form)),
    told: (actor, id, form) => closeRequest(deps, actor, id, validate(s.toldBody, form)),
  };
  for (const [name, action] of Object.entries(actions)) {
    router.post(`/privacy/requests/:id/${name}`, (ctx) => page(c(ctx), deps, async (actor) => {
      const id = idOf(c(ctx));
      await post(c(ctx), () => action(actor, id, formFields(c(ctx))), `/privacy/requests/${id}`, (problem) => requestPage(c(ctx), actor, id, problem));
    }));
  }

  const breachesPage = async (ctx: AppContext, actor: Actor, problem?: string) => {
    const l = ctx.state.lang;
    const list = await listBreaches(deps, actor);
    await auditRegisterView(deps, actor, 'breaches', { filters: ctx.query });
    render(ctx, p(l, 'br.title'), notice(problem), breachRegisterView(l, csrfToken(ctx) ?? '', list, isPrivacyOfficer(actor)));
  };
  const counts = ['people_count', 'records_count'];
  router.get('/privacy/breaches', (ctx) => page(c(ctx), deps, (actor) => breachesPage(c(ctx), actor)));
  router.post('/privacy/breaches', (ctx) => page(c(ctx), deps, (actor) =>
    post(c(ctx), () => recordBreach(deps, actor, validate(s.recordBreachBody, formFields(c(ctx), counts))), '/privacy/breaches', (problem) => breachesPage(c(ctx), actor, problem))));

  const breachPage = async (ctx: AppContext, actor: Actor, id: string, problem?: string) => {
    const l = ctx.state.lang;
    const b = await getBreach(deps, actor, id);
    await auditRegisterView(deps, actor, 'breach', { id });
    render(ctx, `${p(l, 'br.title')}: ${b.number}`, notice(problem), breachDetailView(l, csrfToken(ctx) ?? '', b, isPrivacyOfficer(actor)));
  };
  router.get('/privacy/breaches/:id', (ctx) => page(c(ctx), deps, (actor) => breachPage(c(ctx), actor, idOf(c(ctx)))));
  router.post('/privacy/breaches/:id/amendments', (ctx) => page(c(ctx), deps, async (actor) => {
    const id = idOf(c(ctx));
    await post(c(ctx), () => amendBreach(deps, actor, id, validate(s.amendBreachBody, formFields(c(ctx), counts))), `/privacy/breaches/${id}`, (problem) => breachPage(c(ctx), actor, id, problem));
  }));
  return router;
}
