import Router from '@koa/router';
import { requireAuth, SecondFactorRequiredError, requestActor } from '../identity/http.js';
import type { Actor } from '../identity/policy.js';
import { UnauthenticatedError } from '../platform/errors.js';
import { validate } from '../platform/http/api.js';
import type { AppContext, AppState } from '../platform/http/context.js';
import { assertCleanInput } from '../platform/http/input-guard.js';
import { html } from '../web/html.js';
import { sendPage } from '../web/routes.js';
import type { TimesheetDeps } from '../timesheets/context.js';
import { invoice } from './billing.js';
import { invoiceQuery, payrollQuery } from './billing-schema.js';
import { amountText, amountTable, barChart, budgetTable, burnChart, currenciesOf, hoursText, invoiceSheets, payrollSheet, reportTable, toCsv, toXlsx } from './export.js';
import { PAYROLL_COLUMNS, payrollExport } from './payroll.js';
import { reportScope } from './policy.js';
import { GROUP_BY } from './repository.js';
import { reportQuery, type ReportQueryInput } from './schema.js';
import { budgetReport, hoursReport, type ReportDeps } from './service.js';
import { rt } from './strings.js';
import { myWorkingTime, workingTimeQuery } from './working-time-service.js';
import { signInUrl } from '../web/next.js';

/**
 * The report pages: a form (the API's query schema), the table, a bar chart per
 * period and the budget burn, both SVG drawn here; every report downloads as CSV and
 * XLSX from the same rows. Same scope and k rule as the API (the same service).
 */

const c = (ctx: unknown) => ctx as AppContext;

/** Runs a page for a signed-in person with a report scope (403 otherwise); others go to sign-in. */
async function page(ctx: AppContext, deps: ReportDeps, fn: (actor: Actor) => Promise<void>, guard: (a: Actor) => unknown = reportScope): Promise<void> {
  let accountId: string;
  try {
    accountId = (await requireAuth(ctx, deps.db, deps.config)).accountId;
  } catch (err) {
    if (err instanceof SecondFactorRequiredError) return ctx.redirect('/second-factor');
    if (err instanceof UnauthenticatedError) return ctx.redirect(signInUrl(ctx));
    throw err;
  }
  assertCleanInput(ctx);
  const actor = await requestActor(ctx, deps.db, accountId);
  guard(actor);
  await fn(actor);
}

/** The form's question: the URL's fields through the API's schema; a fresh visit asks for this year by month. */
function question(ctx: AppContext): ReportQueryInput {
  const q = { ...ctx.query } as Record<string, unknown>;
  delete q.lang;
  for (const k of Object.keys(q)) if (q[k] === '') delete q[k];
  if (q.from === undefined && q.to === undefined) {
    const year = new Date().getUTCFullYear();
    Object.assign(q, { from: `${year}-01-01`, to: `${year}-12-31` });
  }
  return validate(reportQuery, q, { prefix: 'query' });
}

function withoutLang(ctx: AppContext): Record<string, unknown> {
  const q = { ...ctx.query } as Record<string, unknown>;
  delete q.lang;
  return q;
}

function queryString(q: ReportQueryInput): string {
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(q)) if (v !== undefined) p.set(k, String(v));
  return p.toString();
}

/** The report pages and downloads. */
export function reportPages(deps: TimesheetDeps): Router<AppState> {
  const router = new Router<AppState>();

  router.get('/reports', (ctx) =>
    page(c(ctx), deps, async (actor) => {
      const x = c(ctx);
      const l = x.state.lang;
      const q = question(x);
      const r = await hoursReport(deps, actor, q);
      const b = await budgetReport(deps, actor);
      const k = r.k;
      const opt = (name: string, value: string, label: string) => html`<option value="${value}"${name === value ? html` selected` : ''}>${label}</option>`;
      sendPage(x, deps.config, rt(l, 'title'), html`
<h1>${rt(l, 'title')}</h1>
<p>${rt(l, 'intro', k)}</p>
<form method="get" action="/reports" class="form" id="report-form">
<label>${rt(l, 'period')} <select name="period">${(['week', 'month', 'quarter', 'year'] as const).map((p) => opt(q.period, p, rt(l, p)))}</select></label>
<label>${rt(l, 'from')} <input type="date" name="from" value="${q.from}" required></label>
<label>${rt(l, 'to')} <input type="date" name="to" value="${q.to}" required></label>
<label>${rt(l, 'group_by')} <select name="group_by">${GROUP_BY.map((g) => opt(q.group_by, g, rt(l, g)))}</select></label>
<label>${rt(l, 'team_filter')} <input type="text" name="team" value="${q.team ?? ''}"></label>
<button type="submit">${rt(l, 'show')}</button>
</form>
<p><a id="csv" href="/reports/hours.csv?${queryString(q)}">${rt(l, 'download_csv')}</a> · <a id="xlsx" href="/reports/hours.xlsx?${queryString(q)}">${rt(l, 'download_xlsx')}</a></p>
${barChart(r, rt(l, 'chart_title'))}
${r.rows.length
  ? html`<table class="list" id="report"><thead><tr><th>${rt(l, q.group_by)}</th>${r.periods.map((p) => html`<th>${p.label}</th>`)}<th>${rt(l, 'total')}</th></tr></thead>
<tbody>${r.rows.map((row) => html`<tr><td>${row.label}</td>${row.cells.map((cell) => html`<td>${cell.suppressed ? rt(l, 'suppressed', k) : hoursText(cell, k)}</td>`)}<td>${row.total.suppressed ? rt(l, 'suppressed', k) : hoursText(row.total, k)}</td></tr>`)}</tbody>
<tfoot><tr><th>${rt(l, 'total')}</th>${r.totals.cells.map((cell) => html`<th>${cell.suppressed ? rt(l, 'suppressed', k) : hoursText(cell, k)}</th>`)}<th id="grand-total">${r.totals.total.suppressed ? rt(l, 'suppressed', k) : hoursText(r.totals.total, k)}</th></tr></tfoot></table>`
  : html`<p id="no-figures">${rt(l, 'no_figures')}</p>`}
${currenciesOf(r).length
  ? html`<h2>${rt(l, 'amounts_title')}</h2><p>${rt(l, 'amounts_intro')}</p>
<table class="list" id="amounts"><thead><tr><th>${rt(l, q.group_by)}</th><th>${rt(l, 'currency')}</th>${r.periods.map((p) => html`<th>${p.label}</th>`)}<th>${rt(l, 'total')}</th></tr></thead>
<tbody>${r.rows.flatMap((row) => currenciesOf(r).map((cur) => html`<tr><td>${row.label}</td><td>${cur}</td>${row.amounts.map((m) => html`<td>${m === null ? rt(l, 'suppressed', k) : amountText(m, cur, k)}</td>`)}<td>${row.amount_total === null ? rt(l, 'suppressed', k) : amountText(row.amount_total, cur, k)}</td></tr>`))}</tbody>
<tfoot>${currenciesOf(r).map((cur) => html`<tr><th>${rt(l, 'total')}</th><th>${cur}</th>${r.totals.amounts.map((m) => html`<th>${m === null ? rt(l, 'suppressed', k) : amountText(m, cur, k)}</th>`)}<th class="amount-total">${r.totals.amount_total === null ? rt(l, 'suppressed', k) : amountText(r.totals.amount_total, cur, k)}</th></tr>`)}</tfoot></table>`
  : ''}
<h2>${rt(l, 'budgets')}</h2>
${b.projects.length
  ? html`${burnChart(b, rt(l, 'budgets'))}
<table class="list" id="budgets"><thead><tr><th>${rt(l, 'project')}</th><th>${rt(l, 'budget')}</th><th>${rt(l, 'used')}</th></tr></thead>
<tbody>${b.projects.map((p) => html`<tr><td>${p.name}</td><td>${p.budget_hours}</td><td>${p.used.suppressed ? rt(l, 'suppressed', k) : hoursText(p.used, k)}</td></tr>`)}</tbody></table>
<p><a href="/reports/budgets.csv">${rt(l, 'download_csv')}</a> · <a href="/reports/budgets.xlsx">${rt(l, 'download_xlsx')}</a></p>`
  : html`<p>${rt(l, 'no_budgets')}</p>`}`);
    }),
  );

  router.get('/exports', (ctx) =>
    page(c(ctx), deps, async (actor) => {
      const x = c(ctx);
      const l = x.state.lang;
      const admin = actor.roles.has('team_admin') && actor.teams.size > 0;
      const invoices = admin || actor.roles.has('reports');
      const payroll = admin || actor.roles.has('payroll');
      const customers = invoices ? ((await deps.db('customers').whereNull('archived_at').orderBy('name').select('id', 'name')) as Array<{ id: string; name: string }>) : [];
      const year = new Date().getUTCFullYear();
      const dates = html`<label>${rt(l, 'from')} <input type="date" name="from" value="${year}-01-01" required></label>
<label>${rt(l, 'to')} <input type="date" name="to" value="${year}-12-31" required></label>`;
      const formats = (base: string) => html`<button type="submit" formaction="${base}.csv">${rt(l, 'download_csv')}</button> <button type="submit" formaction="${base}.xlsx">${rt(l, 'download_xlsx')}</button>`;
      sendPage(x, deps.config, rt(l, 'ex_title'), html`
<h1>${rt(l, 'ex_title')}</h1>
${invoices ? html`<h2>${rt(l, 'ex_invoice')}</h2>
<form method="get" action="/billing/invoice.csv" class="form" id="invoice-form">
<label>${rt(l, 'ex_customer')} <select name="customer_id">${customers.map((cu) => html`<option value="${cu.id}">${cu.name}</option>`)}</select></label>
${dates}
${admin ? html`<label><input type="checkbox" name="detail" value="true"> ${rt(l, 'ex_detail')}</label>` : ''}
${formats('/billing/invoice')}
</form>` : ''}
${payroll ? html`<h2>${rt(l, 'ex_payroll')}</h2>
<p>${rt(l, 'ex_payroll_layout')}</p>
<form method="get" action="/payroll/export.csv" class="form" id="payroll-form">${dates} ${formats('/payroll/export')}</form>` : ''}
${invoices || payroll ? '' : html`<p>${rt(l, 'ex_none')}</p>`}`);
    }, () => undefined),
  );

  router.get('/working-time', (ctx) =>
    page(c(ctx), deps, async (actor) => {
      const x = c(ctx);
      const l = x.state.lang;
      const week = x.query.week === undefined ? new Date().toISOString().slice(0, 10) : validate(workingTimeQuery, { week: x.query.week }, { prefix: 'query' }).week;
      const v = await myWorkingTime(deps, actor, week);
      const hm = (m: number) => `${Math.floor(m / 60)}:${String(m % 60).padStart(2, '0')}`;
      const shift = (d: number) => new Date(Date.parse(`${v.week_start}T12:00:00Z`) + d * 86_400_000).toISOString().slice(0, 10);
      sendPage(x, deps.config, rt(l, 'wt_title'), html`
<h1>${rt(l, 'wt_title')}</h1>
<p>${rt(l, 'wt_intro')}</p>
<nav aria-label="${rt(l, 'wt_title')}"><a href="/working-time?week=${shift(-7)}">${rt(l, 'wt_previous')}</a> · <a href="/working-time?week=${shift(7)}">${rt(l, 'wt_next')}</a></nav>
<table class="list" id="working-days"><thead><tr><th>${rt(l, 'wt_date')}</th><th>${rt(l, 'wt_total')}</th><th>${rt(l, 'wt_breaks')}</th></tr></thead>
<tbody>${v.days.map((d) => html`<tr><td>${d.date}</td><td>${hm(d.total_minutes)}</td><td>${d.breaks.map((b) => hm(b.minutes)).join(', ')}</td></tr>`)}</tbody></table>
${v.warnings.length
  ? html`<ul id="warnings">${v.warnings.map((w) => html`<li><strong>${w.date}</strong>: ${rt(l, `wt_${w.code}`)} (${hm(w.value)} / ${hm(w.limit)})</li>`)}</ul>`
  : html`<p id="no-warnings">${rt(l, 'wt_none')}</p>`}`);
    }, () => undefined),
  );

  const download = (x: AppContext, name: string, sheets: Record<string, Array<Array<string | number>>>, format: 'csv' | 'xlsx') =>
    // CSV: the sheets one after the other, a blank line between.
    (format === 'csv' ? Promise.resolve(Buffer.from(Object.values(sheets).map(toCsv).join('\r\n'), 'utf8')) : toXlsx(sheets)).then((body) => {
      x.set('Content-Disposition', `attachment; filename="uurwerk-${name}.${format}"`);
      x.type = format === 'csv' ? 'text/csv; charset=utf-8' : 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';
      x.body = body;
    });

  for (const format of ['csv', 'xlsx'] as const) {
    router.get(`/reports/hours.${format}`, (ctx) =>
      page(c(ctx), deps, async (actor) => {
        const r = await hoursReport(deps, actor, question(c(ctx)));
        // Billed value beside the hours (a second sheet, a second block in the CSV), under the same k rule.
        await download(c(ctx), 'hours', { hours: reportTable(r, 'total'), amounts: amountTable(r, 'total') }, format);
      }),
    );
    router.get(`/reports/budgets.${format}`, (ctx) =>
      page(c(ctx), deps, async (actor) => {
        await download(c(ctx), 'budgets', { budgets: budgetTable(await budgetReport(deps, actor)) }, format);
      }),
    );
    // Guards as the API's: the service decides who reads which days (403 otherwise).
    router.get(`/billing/invoice.${format}`, (ctx) =>
      page(c(ctx), deps, async (actor) => {
        const q = validate(invoiceQuery, withoutLang(c(ctx)), { prefix: 'query' });
        await download(c(ctx), 'invoice', invoiceSheets(await invoice(deps, actor, q)), format);
      }, () => undefined),
    );
    router.get(`/payroll/export.${format}`, (ctx) =>
      page(c(ctx), deps, async (actor) => {
        const q = validate(payrollQuery, withoutLang(c(ctx)), { prefix: 'query' });
        await download(c(ctx), 'payroll', { payroll: payrollSheet(await payrollExport(deps, actor, q), PAYROLL_COLUMNS) }, format);
      }, () => undefined),
    );
  }
  return router;
}
