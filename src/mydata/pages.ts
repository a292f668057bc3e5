import Router from '@koa/router';
import { csrfToken, requireAuth, SecondFactorRequiredError, requestActor } from '../identity/http.js';
import { UnauthenticatedError } from '../platform/errors.js';
import { validate } from '../platform/http/api.js';
import type { AppContext, AppState } from '../platform/http/context.js';
import { assertCleanInput } from '../platform/http/input-guard.js';
import { html, type SafeHtml } from '../web/html.js';
import { t, type Lang, type MessageKey } from '../web/i18n.js';
import { sendPage } from '../web/routes.js';
import type { Config } from '../platform/config.js';
import { summaryOf } from './collect.js';
import { downloadExport, exportStatus, startExport, type ExportDeps } from './exports.js';
import type { SendExportJob } from './routes.js';
import * as s from './schema.js';
import { m, type MyDataKey } from './strings.js';
import { signInUrl } from '../web/next.js';

/**
 * The "My data" pages: the summary with the download form, an export's progress
 * (refreshing itself while it is built) with its one-time link, and the download
 * itself. Plain links and forms, usable with the keyboard only.
 */

const c = (ctx: unknown) => ctx as AppContext;
const when = (v: string | null) => (v ? `${v.slice(0, 16).replace('T', ' ')} UTC` : '');
const stateText = (l: Lang, st: string) => m(l, `state_${st}` as MyDataKey);

/** The signed-in person's account id; a page sends others to sign in. */
async function person(ctx: AppContext, deps: ExportDeps & { config: Readonly<Config> }, asFile = false): Promise<string | undefined> {
  try {
    const id = (await requireAuth(ctx, deps.db, deps.config)).accountId;
    assertCleanInput(ctx, {});
    return (await requestActor(ctx, deps.db, id)).accountId;
  } catch (err) {
    if (asFile) throw err; // a download answers 401/403, not a sign-in page
    if (err instanceof SecondFactorRequiredError) ctx.redirect('/second-factor');
    else if (err instanceof UnauthenticatedError) ctx.redirect(signInUrl(ctx));
    else throw err;
    return undefined;
  }
}

function table(head: string[], rows: SafeHtml[], l: Lang, id: string): SafeHtml {
  if (!rows.length) return html`<p>${m(l, 'none')}</p>`;
  return html`<table class="list" id="${id}"><thead><tr>${head.map((h) => html`<th scope="col">${h}</th>`)}</tr></thead><tbody>${rows}</tbody></table>`;
}

async function summaryPage(ctx: AppContext, deps: ExportDeps & { config: Readonly<Config> }, accountId: string): Promise<void> {
  const l = ctx.state.lang;
  const sum = await summaryOf(deps, accountId);
  const d = sum.counts.days;
  sendPage(ctx, deps.config, m(l, 'title'), html`
<h1>${m(l, 'title')}</h1>
<p>${m(l, 'intro')}</p>
<p><a href="#download">${m(l, 'download')}</a> · <a href="/timesheets/data-reads">${m(l, 'see_reads')}</a></p>
<h2 id="profile">${m(l, 'profile')}</h2>
${table([m(l, 'field'), m(l, 'value'), m(l, 'source')], sum.profile.filter((f) => f.value !== null).map((f) => html`<tr><th scope="row">${f.field}</th><td>${f.value}</td><td>${m(l, f.source === 'directory' ? 'source_directory' : 'source_uurwerk')}</td></tr>`), l, 'profile-fields')}
<h2 id="roles">${m(l, 'roles')}</h2>
${table([m(l, 'role'), m(l, 'team'), m(l, 'reason')], sum.roles.map((r) => html`<tr><td>${r.role}</td><td>${r.team ?? ''}</td><td>${r.reason}</td></tr>`), l, 'role-list')}
${sum.teams.length ? html`<p>${m(l, 'teams')}: ${sum.teams.map((t) => t.team).join(', ')}</p>` : ''}
<h2 id="counts">${m(l, 'counts')}</h2>
<dl class="facts">
<dt>${m(l, 'days')}</dt><dd>${String(d.draft + d.submitted + d.returned + d.approved)} (${stateLine(l, d)})</dd>
<dt>${m(l, 'entries')}</dt><dd>${String(sum.counts.entries)}</dd>
<dt>${m(l, 'audit_about')}</dt><dd>${String(sum.counts.audit_about_me)}</dd>
<dt>${m(l, 'audit_by')}</dt><dd>${String(sum.counts.audit_by_me)}</dd>
<dt>${m(l, 'sessions')}</dt><dd>${String(sum.counts.sessions)}</dd>
<dt>${m(l, 'tokens')}</dt><dd>${String(sum.counts.api_tokens)}</dd>
<dt>${m(l, 'mails')}</dt><dd>${String(sum.counts.mails)}</dd>
</dl>
<h2 id="mails">${m(l, 'mails')}</h2>
<p>${m(l, 'mail_note')}</p>
${table([m(l, 'when'), m(l, 'subject'), m(l, 'status')], sum.mails.map((x) => html`<tr><td>${when(x.created_at)}</td><td>${x.subject}</td><td>${x.status}</td></tr>`), l, 'mail-list')}
<h2 id="requests">${m(l, 'requests')}</h2>
${sum.requests === null ? html`<p>${m(l, 'requests_none')}</p>` : table(['id', m(l, 'status')], sum.requests.map((r) => html`<tr><td>${String(r.id ?? '')}</td><td>${String(r.status ?? '')}</td></tr>`), l, 'request-list')}
<h2 id="download">${m(l, 'download')}</h2>
<p>${m(l, 'download_intro')}</p>
<form method="post" action="/me/data/exports"><input type="hidden" name="_csrf" value="${csrfToken(ctx) ?? ''}"><button type="submit">${m(l, 'start')}</button></form>
<h3>${m(l, 'exports')}</h3>
${table([m(l, 'when'), m(l, 'status'), m(l, 'expires')], sum.exports.map((x) => html`<tr><td><a href="/me/data/exports/${x.id}">${when(x.created_at)}</a></td><td>${stateText(l, x.status)}</td><td>${when(x.expires_at)}</td></tr>`), l, 'export-list')}`);
}

// Day states in the page's language (the shared catalogue's words), not their codes.
const stateLine = (l: Lang, d: Record<string, number>) => Object.entries(d).map(([k, v]) => `${t(l, `ts.state_${k}` as MessageKey).toLowerCase()} ${v}`).join(', ');

async function statusPage(ctx: AppContext, deps: ExportDeps & { config: Readonly<Config> }, accountId: string): Promise<void> {
  const l = ctx.state.lang;
  const { id } = validate(s.exportParams, { id: ctx.params.id }, { prefix: 'path' });
  const raw = typeof ctx.query.token === 'string' ? ctx.query.token : undefined;
  const token = raw === undefined ? undefined : validate(s.downloadQuery, { token: raw }, { prefix: 'query' }).token;
  const st = await exportStatus(deps.db, accountId, id);
  const building = st.status === 'queued' || st.status === 'running';
  if (building) ctx.set('Refresh', '3'); // the page follows the job without script
  const self = `/me/data/exports/${id}${token ? `?token=${token}` : ''}`;
  sendPage(ctx, deps.config, m(l, 'export_title'), html`
<h1>${m(l, 'export_title')}</h1>
<p role="status">${m(l, 'status')}: ${stateText(l, st.status)}${building ? html` — ${m(l, 'progress')} <progress max="100" value="${String(st.progress)}">${String(st.progress)} %</progress> ${String(st.progress)} %` : ''}</p>
${st.status === 'ready' ? (token ? html`<p><a id="download-link" href="/me/data/exports/${id}/download?token=${token}" download>${m(l, 'get_zip')}</a> (${m(l, 'expires')}: ${when(st.expires_at)})</p>` : html`<p>${m(l, 'link_lost')}</p>`) : ''}
${building ? html`<p><a href="${self}">${m(l, 'refresh')}</a></p>` : ''}
<p><a href="/me/data">${m(l, 'back')}</a></p>`);
}

/** The page routes of "My data". */
export function myDataPages(deps: ExportDeps & { config: Readonly<Config> }, send: SendExportJob): Router<AppState> {
  const router = new Router<AppState>();
  router.get('/me/data', async (ctx) => {
    const id = await person(c(ctx), deps);
    if (id) await summaryPage(c(ctx), deps, id);
  });
  router.post('/me/data/exports', async (ctx) => {
    const id = await person(c(ctx), deps);
    if (!id) return;
    const started = await startExport(deps, id);
    await send(started.id);
    ctx.redirect(`/me/data/exports/${started.id}?token=${started.download_url.split('token=')[1]}`);
  });
  router.get('/me/data/exports/:id', async (ctx) => {
    const id = await person(c(ctx), deps);
    if (id) await statusPage(c(ctx), deps, id);
  });
  router.get('/me/data/exports/:id/download', async (ctx) => {
    const accountId = (await person(c(ctx), deps, true))!;
    const { id } = validate(s.exportParams, { id: ctx.params.id }, { prefix: 'path' });
    const { token } = validate(s.downloadQuery, { token: ctx.query.token }, { prefix: 'query' });
    const file = await downloadExport(deps, accountId, id, token);
    ctx.set('Cache-Control', 'no-store');
    ctx.set('Content-Disposition', `attachment; filename="${file.name}"`);
    ctx.type = 'application/zip';
    ctx.body = file.zip;
  });
  return router;
}
