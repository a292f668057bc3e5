import { createReadStream } from 'node:fs';
import Router from '@koa/router';
import { csrfToken, requireAuth, SecondFactorRequiredError, requestActor } from '../identity/http.js';
import { hasRole, type Actor } from '../identity/policy.js';
import { AppError, NotFoundError, UnauthenticatedError, ValidationError } from '../platform/errors.js';
import { validate } from '../platform/http/api.js';
import type { AppContext, AppState } from '../platform/http/context.js';
import { assertCleanInput } from '../platform/http/input-guard.js';
import { html } from '../web/html.js';
import type { Lang } from '../web/i18n.js';
import { sendPage } from '../web/routes.js';
import { apiFieldLabels, problemText } from '../web/problems.js';
import { claimDownload, complianceExportStatus, listComplianceExports, removeExportFile, startComplianceExport, type ExportJobDeps, type ExportStatus } from './export-job.js';
import { parsePeriod } from './export-period.js';
import { downloadQuery, exportParams, type SendComplianceJob } from './export-routes.js';
import { t, type ExportKey } from './export-strings.js';
import { signInUrl } from '../web/next.js';

/**
 * The auditor's compliance export pages: the form and the auditor's exports, an
 * export's progress (refreshing itself while it is built) with its one-time link,
 * and the download. Anyone but an auditor is told the pages do not exist (404).
 */

const c = (ctx: unknown) => ctx as AppContext;
const when = (v: string | null) => (v ? `${v.slice(0, 16).replace('T', ' ')} UTC` : '');
const stateText = (l: Lang, st: string) => t(l, `state_${st}` as ExportKey);
const periodText = (l: Lang, x: ExportStatus) => (x.from || x.to ? `${x.from ?? '…'} – ${x.to ?? '…'}` : t(l, 'whole_log'));

/** The signed-in auditor; a page sends others to sign in, a non-auditor gets 404. */
async function auditor(ctx: AppContext, deps: ExportJobDeps, asFile = false): Promise<Actor | undefined> {
  let accountId: string;
  try {
    accountId = (await requireAuth(ctx, deps.db, deps.config)).accountId;
  } catch (err) {
    if (asFile) throw err;
    if (err instanceof SecondFactorRequiredError) ctx.redirect('/second-factor');
    else if (err instanceof UnauthenticatedError) ctx.redirect(signInUrl(ctx));
    else throw err;
    return undefined;
  }
  const actor = await requestActor(ctx, deps.db, accountId);
  if (!hasRole(actor, 'auditor')) throw new NotFoundError();
  assertCleanInput(ctx);
  return actor;
}

async function listPage(ctx: AppContext, deps: ExportJobDeps, actor: Actor, problem?: string): Promise<void> {
  const l = ctx.state.lang;
  const list = await listComplianceExports(deps.db, actor.accountId);
  sendPage(ctx, deps.config, t(l, 'title'), html`
<h1>${t(l, 'title')}</h1>
<p>${t(l, 'intro')}</p>
${problem ? html`<p class="notice error" role="alert">${problem}</p>` : ''}
<form method="post" action="/audit/export">
<input type="hidden" name="_csrf" value="${csrfToken(ctx) ?? ''}">
<p><label for="from">${t(l, 'from')}</label> <input type="date" id="from" name="from"></p>
<p><label for="to">${t(l, 'to')}</label> <input type="date" id="to" name="to"></p>
<p><button type="submit">${t(l, 'start')}</button></p>
</form>
<h2>${t(l, 'exports')}</h2>
${list.length ? html`<table class="list" id="export-list"><thead><tr><th scope="col">${t(l, 'when')}</th><th scope="col">${t(l, 'period')}</th><th scope="col">${t(l, 'status')}</th><th scope="col">${t(l, 'expires')}</th></tr></thead><tbody>${list.map((x) => html`<tr><td><a href="/audit/export/${x.id}">${when(x.created_at)}</a></td><td>${periodText(l, x)}</td><td>${stateText(l, x.status)}</td><td>${when(x.expires_at)}</td></tr>`)}</tbody></table>` : html`<p>${t(l, 'none')}</p>`}`);
}

async function statusPage(ctx: AppContext, deps: ExportJobDeps, actor: Actor): Promise<void> {
  const l = ctx.state.lang;
  const { id } = validate(exportParams, { id: ctx.params.id }, { prefix: 'path' });
  const raw = typeof ctx.query.token === 'string' ? ctx.query.token : undefined;
  const token = raw === undefined ? undefined : validate(downloadQuery, { token: raw }, { prefix: 'query' }).token;
  const st = await complianceExportStatus(deps.db, actor.accountId, id);
  const building = st.status === 'queued' || st.status === 'running';
  if (building) ctx.set('Refresh', '3'); // the page follows the job without script
  const self = `/audit/export/${id}${token ? `?token=${token}` : ''}`;
  sendPage(ctx, deps.config, t(l, 'export_title'), html`
<h1>${t(l, 'export_title')}</h1>
<p>${t(l, 'period')}: ${periodText(l, st)}</p>
<p role="status">${t(l, 'status')}: ${stateText(l, st.status)}${building ? html` — ${t(l, 'progress')} <progress max="100" value="${String(st.progress)}">${String(st.progress)} %</progress> ${String(st.progress)} %` : ''}</p>
${st.manifest_sha256 ? html`<p>${t(l, 'manifest')}: <code>${st.manifest_sha256}</code></p>` : ''}
${st.status === 'ready' ? (token ? html`<p><a id="download-link" href="/audit/export/${id}/download?token=${token}" download>${t(l, 'get_zip')}</a> (${t(l, 'expires')}: ${when(st.expires_at)})</p>` : html`<p>${t(l, 'link_lost')}</p>`) : ''}
${building ? html`<p><a href="${self}">${t(l, 'refresh')}</a></p>` : ''}
<p><a href="/audit/export">${t(l, 'back')}</a></p>`);
}

/** The page routes of the compliance export. */
export function complianceExportPages(deps: ExportJobDeps, send: SendComplianceJob): Router<AppState> {
  const router = new Router<AppState>();
  router.get('/audit/export', async (ctx) => {
    const actor = await auditor(c(ctx), deps);
    if (actor) await listPage(c(ctx), deps, actor);
  });
  router.post('/audit/export', async (ctx) => {
    const actor = await auditor(c(ctx), deps);
    if (!actor) return;
    const body = (ctx.request as { body?: Record<string, unknown> }).body ?? {};
    const blank = (v: unknown) => (typeof v === 'string' && v.trim() === '' ? undefined : v);
    try {
      const started = await startComplianceExport(deps, actor.accountId, parsePeriod({ from: blank(body.from), to: blank(body.to) }));
      await send(started.id);
      ctx.redirect(`/audit/export/${started.id}?token=${started.download_url.split('token=')[1]}`);
    } catch (err) {
      const l = c(ctx).state.lang;
      const problem = err instanceof ValidationError || (err instanceof AppError && err.status === 409) ? problemText(l, err, l === 'en' ? apiFieldLabels(err) : { from: t(l, 'from'), to: t(l, 'to') }) : undefined;
      if (!problem) throw err;
      ctx.status = (err as AppError).status;
      await listPage(c(ctx), deps, actor, problem);
    }
  });
  router.get('/audit/export/:id', async (ctx) => {
    const actor = await auditor(c(ctx), deps);
    if (actor) await statusPage(c(ctx), deps, actor);
  });
  router.get('/audit/export/:id/download', async (ctx) => {
    const actor = (await auditor(c(ctx), deps, true))!;
    const { id } = validate(exportParams, { id: ctx.params.id }, { prefix: 'path' });
    const { token } = validate(downloadQuery, { token: ctx.query.token }, { prefix: 'query' });
    const file = await claimDownload(deps, actor.accountId, id, token);
    ctx.set('Cache-Control', 'no-store');
    ctx.set('Content-Disposition', `attachment; filename="${file.name}"`);
    ctx.type = 'application/zip';
    ctx.length = file.bytes;
    const stream = createReadStream(file.file);
    // Once sent (or the connection dropped), the link is spent: the file goes.
    ctx.res.once('close', () => removeExportFile(deps.dir, id));
    ctx.body = stream;
  });
  return router;
}
