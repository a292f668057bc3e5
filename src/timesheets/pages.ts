import Router from '@koa/router';
import { loadActor } from '../identity/auth-service.js';
import { csrfToken, requireAuth, SecondFactorRequiredError } from '../identity/http.js';
import type { Actor } from '../identity/policy.js';
import { AppError, UnauthenticatedError, ValidationError } from '../platform/errors.js';
import { validate } from '../platform/http/api.js';
import type { AppContext, AppState } from '../platform/http/context.js';
import { assertCleanInput } from '../platform/http/input-guard.js';
import { html, type SafeHtml } from '../web/html.js';
import { t, type Lang, type MessageKey } from '../web/i18n.js';
import { sendPage } from '../web/routes.js';
import { importMasterData } from './import.js';
import { myEventsSection } from './my-record-page.js';
import { createCustomer, createProject, createTask, listProjects, setProjectArchived } from './master-data.js';
import type { TimesheetDeps } from './context.js';
import { approveDays, returnDay, submitDay } from './day-workflow.js';
import { getDay, getMyDay, listMyDays, listReviewDays } from './days.js';
import { createEntries, createEntry, removeEntry } from './entries.js';
import { dataReadsOf } from './my-record.js';
import type { DayView } from './presenter.js';
import { timeZoneOf } from './settings.js';
import { getTimer, startTimer, stopTimer } from './timer.js';
import { canManageMasterData, isTeamAdmin, type DayState } from './policy.js';
import * as s from './schema.js';
import { addDays, localDate, localInstant, localTime } from './tz.js';

/**
 * Server-rendered pages: my week (grid and timer), my day (review, add, delete,
 * submit), who saw my data, and the admin inbox with its review page. Plain forms
 * posting back (CSRF token in each), usable with the keyboard only; the JSON API
 * does the same through the same service functions.
 */

type Form = Record<string, unknown>;
const field = (body: Form, name: string): string => (typeof body[name] === 'string' ? (body[name] as string) : '');
const formBody = (ctx: AppContext): Form => ((ctx.request as { body?: Form }).body ?? {});
const c = (ctx: unknown) => ctx as AppContext;

function csrf(ctx: AppContext): SafeHtml {
  return html`<input type="hidden" name="_csrf" value="${csrfToken(ctx) ?? ''}">`;
}

function notice(ctx: AppContext, problem?: string): SafeHtml {
  const ok = typeof ctx.query.ok === 'string' && ctx.query.ok.startsWith('ts.') ? (ctx.query.ok as MessageKey) : undefined;
  return html`${problem ? html`<p class="error" role="alert">${problem}</p>` : ''}${ok ? html`<p class="ok" role="status">${t(ctx.state.lang, ok)}</p>` : ''}`;
}

const stateLabel = (l: Lang, s: DayState) => t(l, `ts.state_${s}` as MessageKey);
const hm = (minutes: number) => `${Math.floor(minutes / 60)}:${String(minutes % 60).padStart(2, '0')}`;

/**
 * Runs a page that needs a full session; others go to sign-in. Who you are comes
 * before what you sent: the form and URL are checked (unreadable body, NUL bytes,
 * over-long strings) only after authentication, then each handler validates with
 * the API's schemas.
 */
async function page(ctx: AppContext, deps: TimesheetDeps, fn: (actor: Actor) => Promise<void>, opts: { maxLength?: number } = {}): Promise<void> {
  let accountId: string;
  try {
    accountId = (await requireAuth(ctx, deps.db, deps.config)).accountId;
  } catch (err) {
    if (err instanceof SecondFactorRequiredError) return ctx.redirect('/second-factor');
    if (err instanceof UnauthenticatedError) return ctx.redirect('/sign-in');
    throw err;
  }
  assertCleanInput(ctx, opts);
  await fn(await loadActor(deps.db, accountId));
}

/** A date from the URL or a form, checked with the API's date schema (422 naming the field). */
const dateFrom = (value: unknown, field: string): string => validate(s.calendarDateSchema, value, { prefix: field });

/** An id from the URL, checked with the API's id schema. */
const idFrom = (id: string | undefined): string => validate(s.idParams, { id }, { prefix: 'path' }).id;

/** Form field names for the schema fields they fill. */
const FORM_NAMES = { project_id: 'project', task_id: 'project' };

/** Turns expected failures of a form post into a message on the page. */
function problemText(err: unknown): string | undefined {
  if (err instanceof ValidationError) return err.fields.map((f) => `${f.field}: ${f.message}`).join('; ');
  if (err instanceof AppError && err.status === 409) return err.message;
  return undefined;
}

/** Hours as typed in the week grid (`1:30`, `1.5`, `1,5`) in minutes; undefined when unreadable. */
export function parseHours(raw: string): number | undefined {
  const hm = /^(\d{1,2}):([0-5]\d)$/.exec(raw);
  if (hm) return Number(hm[1]) * 60 + Number(hm[2]);
  const dec = /^\d{1,2}([.,]\d{1,2})?$/.test(raw) ? Number(raw.replace(',', '.')) : NaN;
  return Number.isFinite(dec) ? Math.round(dec * 60) : undefined;
}

function mondayOf(date: string): string {
  const dow = new Date(`${date}T12:00:00Z`).getUTCDay();
  return addDays(date, -((dow + 6) % 7));
}

async function projectOptions(deps: TimesheetDeps): Promise<SafeHtml> {
  const projects = await listProjects(deps.db, false);
  return html`${projects.map((p) => html`<option value="${p.id}">${p.customer_name ? `${p.customer_name} — ` : ''}${p.name}</option>${p.tasks.map((task) => html`<option value="${p.id}/${task.id}">${p.name} › ${task.name}</option>`)}`)}`;
}

function splitProject(v: string): { project_id: string; task_id: string | null } {
  const [project_id = '', task_id] = v.split('/');
  return { project_id, task_id: task_id || null };
}

function entriesTable(l: Lang, day: DayView, tz: string, actions: (id: string) => SafeHtml): SafeHtml {
  if (!day.entries.length) return html`<p>${t(l, 'ts.no_entries')}</p>`;
  const totals = html`<h2>${t(l, 'ts.totals')}</h2><table class="list" id="totals"><tbody>${day.totals.map((x) => html`<tr><td>${x.project_name}${x.task_name ? ` › ${x.task_name}` : ''}</td><td>${hm(x.minutes)}</td></tr>`)}</tbody></table>`;
  return html`<table class="list" id="entries">
<thead><tr><th>${t(l, 'ts.start')}</th><th>${t(l, 'ts.end')}</th><th>${t(l, 'ts.project')}</th><th>${t(l, 'ts.note')}</th><th>${t(l, 'ts.total')}</th><th></th></tr></thead>
<tbody>${day.entries.map((e) => html`<tr>
  <td>${e.start ? localTime(new Date(e.start), tz) : '—'}</td><td>${e.end ? localTime(new Date(e.end), tz) : '—'}</td>
  <td>${day.totals.find((x) => x.project_id === e.project_id)?.project_name ?? ''}</td>
  <td class="note">${e.note}${e.overlaps ? html` <strong>(${t(l, 'ts.overlaps')})</strong>` : ''}</td>
  <td>${hm(e.minutes_on_day)}</td><td>${actions(e.id)}</td></tr>`)}</tbody>
<tfoot><tr><th colspan="4">${t(l, 'ts.total')}</th><th id="day-total">${hm(day.total_minutes)}</th><th></th></tr></tfoot></table>${totals}`;
}

/** The timesheet pages. */
export function timesheetPages(deps: TimesheetDeps): Router<AppState> {
  const router = new Router<AppState>();

  const weekPage = async (x: AppContext, actor: Actor, asked: string | undefined, problem?: string) => {
    const l = x.state.lang;
    const tz = await timeZoneOf(deps, actor.accountId);
    const monday = mondayOf(asked ?? localDate(new Date(), tz));
    const days = await listMyDays(deps, actor, monday, addDays(monday, 6));
    const timer = await getTimer(deps, actor);
    sendPage(x, deps.config, t(l, 'ts.week_title'), html`
<h1>${t(l, 'ts.week_title')}</h1>
${notice(x, problem)}
<p>${t(l, 'ts.privacy_note')}</p>
<section aria-labelledby="timer-h"><h2 id="timer-h">${t(l, 'ts.timer')}</h2>
${timer.running
  ? html`<p id="timer-state">${t(l, 'ts.timer_running')} ${localTime(new Date(timer.started_at!), tz)} (${timer.note ?? ''})</p>
<form method="post" action="/timesheets/timer/stop" class="form">${csrf(x)}<button type="submit">${t(l, 'ts.timer_stop')}</button></form>`
  : html`<p id="timer-state">${t(l, 'ts.timer_stopped')}</p>
<form method="post" action="/timesheets/timer/start" class="form">${csrf(x)}
<label>${t(l, 'ts.project')}<select name="project">${await projectOptions(deps)}</select></label>
<label>${t(l, 'ts.note')}<input type="text" name="note"></label>
<button type="submit">${t(l, 'ts.timer_start')}</button></form>`}
</section>
<nav aria-label="${t(l, 'ts.week_title')}"><a href="/timesheets?week=${addDays(monday, -7)}">${t(l, 'ts.previous_week')}</a> · <a href="/timesheets?week=${addDays(monday, 7)}">${t(l, 'ts.next_week')}</a></nav>
<table class="list" id="week"><thead><tr><th>${t(l, 'ts.date')}</th><th>${t(l, 'ts.state')}</th><th>${t(l, 'ts.total')}</th></tr></thead>
<tbody>${days.map((d) => html`<tr><td><a href="/timesheets/day/${d.date}">${d.date}</a></td><td>${stateLabel(l, d.state)}</td><td>${hm(d.total_minutes)}</td></tr>`)}</tbody></table>
<h2>${t(l, 'ts.grid_title')}</h2>
<form method="post" action="/timesheets/week" id="week-grid">${csrf(x)}<input type="hidden" name="week" value="${monday}">
<p>${t(l, 'ts.grid_hint')}</p>
<p><label>${t(l, 'ts.project')} <select name="project">${await projectOptions(deps)}</select></label></p>
<table class="list"><thead><tr>${days.map((d) => html`<th><label for="h-${d.date}">${d.date}</label></th>`)}</tr></thead>
<tbody><tr>${days.map((d) => html`<td><input type="text" id="h-${d.date}" name="h_${d.date}" size="5" inputmode="decimal"${d.state === 'draft' || d.state === 'returned' ? '' : html` disabled`}></td>`)}</tr></tbody></table>
<p><button type="submit" class="button">${t(l, 'ts.grid_add')}</button></p></form>
<p><a href="/timesheets/data-reads">${t(l, 'ts.reads_title')}</a> · <a href="/timesheets/projects">${t(l, 'ts.md_title')}</a>${isTeamAdmin(actor) ? html` · <a href="/timesheets/inbox">${t(l, 'ts.inbox_title')}</a>` : ''}</p>`);
  };

  router.get('/timesheets', (ctx) =>
    page(c(ctx), deps, (actor) => weekPage(c(ctx), actor, ctx.query.week === undefined ? undefined : dateFrom(ctx.query.week, 'query.week'))),
  );

  router.post('/timesheets/week', (ctx) =>
    page(c(ctx), deps, async (actor) => {
      const body = formBody(c(ctx));
      const week = dateFrom(body.week, 'week');
      const project = splitProject(field(body, 'project'));
      const inputs: s.EntryCreateBody[] = [];
      const problems: Array<{ field: string; message: string }> = [];
      for (let i = 0; i < 7; i++) {
        const date = addDays(week, i);
        const raw = field(body, `h_${date}`).trim();
        if (!raw) continue;
        const minutes = parseHours(raw);
        if (minutes === undefined) problems.push({ field: date, message: 'use hours such as 1:30 or 1.5' });
        else if (minutes > 0) inputs.push({ date, duration_minutes: minutes, ...project });
      }
      try {
        if (problems.length) throw new ValidationError(problems);
        const entries = inputs.map((input) => validate(s.entryCreateBody, input, { rename: FORM_NAMES }));
        if (entries.length) await createEntries(deps, actor, entries);
      } catch (err) {
        const problem = problemText(err);
        if (!problem) throw err;
        c(ctx).status = err instanceof ValidationError ? 422 : 409;
        return weekPage(c(ctx), actor, week, problem);
      }
      ctx.redirect(`/timesheets?week=${week}&ok=ts.saved`);
    }),
  );

  const dayPage = async (x: AppContext, actor: Actor, date: string, problem?: string) => {
    const l = x.state.lang;
    const tz = await timeZoneOf(deps, actor.accountId);
    const day = await getMyDay(deps, actor, date);
    const open = day.state === 'draft' || day.state === 'returned';
    sendPage(x, deps.config, `${t(l, 'ts.day_title')} ${date}`, html`
<h1>${t(l, 'ts.day_title')} ${date}</h1>
${notice(x, problem)}
<p>${t(l, 'ts.state')}: <strong id="day-state">${stateLabel(l, day.state)}</strong></p>
${day.comment ? html`<p class="error" id="day-comment">${t(l, 'ts.comment')}: ${day.comment}</p>` : ''}
<h2>${t(l, 'ts.entries')}</h2>
${entriesTable(l, day, tz, (id) => (open ? html`<form method="post" action="/timesheets/entries/${id}/delete">${csrf(x)}<input type="hidden" name="date" value="${date}"><button type="submit" class="link">${t(l, 'ts.delete')}</button></form>` : html``))}
${open
  ? html`<h2>${t(l, 'ts.add_entry')}</h2>
<form method="post" action="/timesheets/day/${date}/entries" class="form" id="add-entry">${csrf(x)}
<label>${t(l, 'ts.project')}<select name="project">${await projectOptions(deps)}</select></label>
<label>${t(l, 'ts.start')}<input type="text" name="start" inputmode="numeric" pattern="[0-2][0-9]:[0-5][0-9]" required></label>
<label>${t(l, 'ts.end')}<input type="text" name="end" inputmode="numeric" pattern="[0-2][0-9]:[0-5][0-9]" required></label>
<label>${t(l, 'ts.note')}<input type="text" name="note"></label>
<button type="submit">${t(l, 'ts.add_entry')}</button></form>
<form method="post" action="/timesheets/day/${date}/submit" class="form">${csrf(x)}<button type="submit" id="submit-day">${t(l, 'ts.submit_day')}</button></form>`
  : html`<p>${t(l, 'ts.locked')}</p>`}
<p><a href="/timesheets?week=${date}">${t(l, 'ts.week_title')}</a></p>`);
  };

  const dateParam = (ctx: { params: Record<string, string> }): string => validate(s.dateParams, { date: ctx.params.date }, { prefix: 'path' }).date;

  router.get('/timesheets/day/:date', (ctx) => page(c(ctx), deps, (actor) => dayPage(c(ctx), actor, dateParam(ctx))));

  router.post('/timesheets/day/:date/entries', (ctx) =>
    page(c(ctx), deps, async (actor) => {
      const date = dateParam(ctx);
      const body = formBody(c(ctx));
      const tz = await timeZoneOf(deps, actor.accountId);
      const times = /^\d{2}:\d{2}$/;
      try {
        if (!times.test(field(body, 'start'))) throw new ValidationError([{ field: 'start', message: 'use hh:mm' }]);
        if (!times.test(field(body, 'end'))) throw new ValidationError([{ field: 'end', message: 'use hh:mm' }]);
        const start = localInstant(date, field(body, 'start'), tz);
        let end = localInstant(date, field(body, 'end'), tz);
        // An end at or before the start means the next morning (a night shift).
        if (end <= start) end = localInstant(addDays(date, 1), field(body, 'end'), tz);
        const input = { ...splitProject(field(body, 'project')), start: start.toISOString(), end: end.toISOString(), note: field(body, 'note') };
        await createEntry(deps, actor, validate(s.entryCreateBody, input, { rename: FORM_NAMES }));
      } catch (err) {
        const problem = problemText(err);
        if (!problem) throw err;
        c(ctx).status = err instanceof ValidationError ? 422 : 409;
        return dayPage(c(ctx), actor, date, problem);
      }
      ctx.redirect(`/timesheets/day/${date}?ok=ts.saved`);
    }),
  );

  router.post('/timesheets/entries/:id/delete', (ctx) =>
    page(c(ctx), deps, async (actor) => {
      const id = idFrom(ctx.params.id);
      const date = dateFrom(formBody(c(ctx)).date, 'date');
      try {
        await removeEntry(deps, actor, id);
      } catch (err) {
        const problem = problemText(err);
        if (!problem) throw err;
        c(ctx).status = 409;
        return dayPage(c(ctx), actor, date, problem);
      }
      ctx.redirect(`/timesheets/day/${date}?ok=ts.saved`);
    }),
  );

  router.post('/timesheets/day/:date/submit', (ctx) =>
    page(c(ctx), deps, async (actor) => {
      const date = dateParam(ctx);
      try {
        await submitDay(deps, actor, date);
      } catch (err) {
        const problem = problemText(err);
        if (!problem) throw err;
        c(ctx).status = 409;
        return dayPage(c(ctx), actor, date, problem);
      }
      ctx.redirect(`/timesheets/day/${date}?ok=ts.submitted_ok`);
    }),
  );

  router.post('/timesheets/timer/start', (ctx) =>
    page(c(ctx), deps, async (actor) => {
      const body = formBody(c(ctx));
      await startTimer(deps, actor, validate(s.timerStartBody, { ...splitProject(field(body, 'project')), note: field(body, 'note') }, { rename: FORM_NAMES }));
      ctx.redirect('/timesheets?ok=ts.saved');
    }),
  );

  router.post('/timesheets/timer/stop', (ctx) =>
    page(c(ctx), deps, async (actor) => {
      await stopTimer(deps, actor);
      ctx.redirect('/timesheets?ok=ts.saved');
    }),
  );

  router.get('/timesheets/data-reads', (ctx) =>
    page(c(ctx), deps, async (actor) => {
      const x = c(ctx);
      const l = x.state.lang;
      const reads = await dataReadsOf(deps, actor);
      sendPage(x, deps.config, t(l, 'ts.reads_title'), html`
<h1>${t(l, 'ts.reads_title')}</h1>
${reads.length
  ? html`<table class="list" id="reads"><thead><tr><th>${t(l, 'ts.when')}</th><th>${t(l, 'ts.reader')}</th><th>${t(l, 'ts.what')}</th><th>${t(l, 'ts.date')}</th></tr></thead>
<tbody>${reads.map((r) => html`<tr><td>${r.at.slice(0, 16).replace('T', ' ')} UTC</td><td>${r.reader_name ?? r.reader_id}</td><td>${r.what}</td><td>${r.date ?? ''}</td></tr>`)}</tbody></table>`
  : html`<p>${t(l, 'ts.reads_empty')}</p>`}
${await myEventsSection(deps, actor, l, x.query)}`);
    }),
  );

  router.get('/timesheets/inbox', (ctx) =>
    page(c(ctx), deps, async (actor) => {
      const x = c(ctx);
      const l = x.state.lang;
      const { days } = await listReviewDays(deps, actor, { state: 'submitted' });
      sendPage(x, deps.config, t(l, 'ts.inbox_title'), html`
<h1>${t(l, 'ts.inbox_title')}</h1>
${notice(x)}
${days.length
  ? html`<form method="post" action="/timesheets/inbox/approve">${csrf(x)}
<table class="list" id="inbox"><thead><tr><th></th><th>${t(l, 'ts.person')}</th><th>${t(l, 'ts.date')}</th><th>${t(l, 'ts.total')}</th><th></th></tr></thead>
<tbody>${days.map((d) => html`<tr><td><input type="checkbox" name="ids" value="${d.id}" aria-label="${d.owner_name ?? ''} ${d.date}"></td><td>${d.owner_name ?? ''}</td><td>${d.date}</td><td>${hm(d.total_minutes)}</td><td><a href="/timesheets/days/${d.id}">${t(l, 'ts.open_day')}</a></td></tr>`)}</tbody></table>
<p><button type="submit" class="button">${t(l, 'ts.approve_selected')}</button></p></form>`
  : html`<p id="inbox-empty">${t(l, 'ts.inbox_empty')}</p>`}`);
    }),
  );

  router.post('/timesheets/inbox/approve', (ctx) =>
    page(c(ctx), deps, async (actor) => {
      const raw = formBody(c(ctx)).ids;
      // Nothing ticked: nothing to do. Anything ticked is held to the API's schema.
      if (raw !== undefined && raw !== '') await approveDays(deps, actor, validate(s.approveManyBody, { ids: Array.isArray(raw) ? raw : [raw] }).ids);
      ctx.redirect('/timesheets/inbox?ok=ts.approved_ok');
    }),
  );

  router.get('/timesheets/days/:id', (ctx) =>
    page(c(ctx), deps, async (actor) => {
      const x = c(ctx);
      const l = x.state.lang;
      const day = await getDay(deps, actor, idFrom(ctx.params.id));
      sendPage(x, deps.config, t(l, 'ts.review_title'), html`
<h1>${t(l, 'ts.review_title')}: ${day.owner_name ?? ''}, ${day.date}</h1>
${notice(x)}
<p>${t(l, 'ts.state')}: <strong id="day-state">${stateLabel(l, day.state)}</strong></p>
${entriesTable(l, day, day.time_zone, () => html``)}
${day.state === 'submitted' && day.owner_id !== actor.accountId
  ? html`<form method="post" action="/timesheets/days/${day.id}/approve" class="form">${csrf(x)}<button type="submit" id="approve">${t(l, 'ts.approve')}</button></form>
<form method="post" action="/timesheets/days/${day.id}/return" class="form">${csrf(x)}
<label>${t(l, 'ts.return_comment')}<input type="text" name="comment" required></label>
<button type="submit">${t(l, 'ts.return')}</button></form>`
  : ''}
<p><a href="/timesheets/inbox">${t(l, 'ts.inbox_title')}</a></p>`);
    }),
  );

  router.post('/timesheets/days/:id/approve', (ctx) =>
    page(c(ctx), deps, async (actor) => {
      await approveDays(deps, actor, [idFrom(ctx.params.id)]);
      ctx.redirect('/timesheets/inbox?ok=ts.approved_ok');
    }),
  );

  router.post('/timesheets/days/:id/return', (ctx) =>
    page(c(ctx), deps, async (actor) => {
      const id = idFrom(ctx.params.id);
      const { comment } = validate(s.returnBody, { comment: field(formBody(c(ctx)), 'comment') });
      await returnDay(deps, actor, id, comment);
      ctx.redirect('/timesheets/inbox?ok=ts.returned_ok');
    }),
  );

  const masterDataPage = async (x: AppContext, actor: Actor, problem?: string) => {
    const l = x.state.lang;
    const manage = canManageMasterData(actor);
    const projects = await listProjects(deps.db, manage);
    const customers = (await deps.db('customers').whereNull('archived_at').orderBy('name').select('id', 'name')) as Array<{ id: string; name: string }>;
    sendPage(x, deps.config, t(l, 'ts.md_title'), html`
<h1>${t(l, 'ts.md_title')}</h1>
${notice(x, problem)}
<table class="list" id="projects"><thead><tr><th>${t(l, 'ts.md_customer')}</th><th>${t(l, 'ts.project')}</th><th>${t(l, 'ts.task')}</th><th>${t(l, 'ts.md_billable')}</th><th>${t(l, 'ts.md_budget')}</th><th></th></tr></thead>
<tbody>${projects.map((p) => html`<tr><td>${p.customer_name ?? t(l, 'ts.md_internal')}</td><td>${p.name}${p.archived ? html` (${t(l, 'ts.md_archived')})` : ''}</td>
<td>${p.tasks.map((task) => task.name).join(', ')}${manage && !p.archived ? html`<form method="post" action="/timesheets/projects/${p.id}/tasks">${csrf(x)}<label>${t(l, 'ts.md_add_task')} <input type="text" name="name" required></label> <button type="submit" class="link">${t(l, 'ts.md_add_task')}</button></form>` : ''}</td>
<td>${p.billable ? t(l, 'ts.yes') : t(l, 'ts.no')}</td><td>${p.budget_hours ?? ''}</td>
<td>${manage ? html`<form method="post" action="/timesheets/projects/${p.id}/archived">${csrf(x)}<input type="hidden" name="archived" value="${p.archived ? 'false' : 'true'}"><button type="submit" class="link">${p.archived ? t(l, 'ts.md_restore') : t(l, 'ts.md_archive')}</button></form>` : ''}</td></tr>`)}</tbody></table>
${manage
  ? html`<h2>${t(l, 'ts.md_add_project')}</h2>
<form method="post" action="/timesheets/projects" class="form" id="add-project">${csrf(x)}
<label>${t(l, 'ts.md_name')}<input type="text" name="name" required></label>
<label>${t(l, 'ts.md_customer')}<select name="customer_id"><option value="">${t(l, 'ts.md_internal')}</option>${customers.map((cu) => html`<option value="${cu.id}">${cu.name}</option>`)}</select></label>
<label><input type="checkbox" name="billable" value="yes"> ${t(l, 'ts.md_billable')}</label>
<label>${t(l, 'ts.md_budget')}<input type="text" name="budget_hours" inputmode="decimal"></label>
<button type="submit">${t(l, 'ts.md_add_project')}</button></form>
<h2>${t(l, 'ts.md_add_customer')}</h2>
<form method="post" action="/timesheets/customers" class="form">${csrf(x)}<label>${t(l, 'ts.md_name')}<input type="text" name="name" required></label><button type="submit">${t(l, 'ts.md_add_customer')}</button></form>
<h2>${t(l, 'ts.md_import')}</h2>
<form method="post" action="/timesheets/projects/import" class="form">${csrf(x)}<p>${t(l, 'ts.md_import_hint')}</p>
<label>CSV<textarea name="csv" rows="8" cols="60" required></textarea></label><button type="submit">${t(l, 'ts.md_import')}</button></form>`
  : ''}`);
  };

  /** Runs a master-data form post: expected problems re-render the page with the message. */
  const mdPost = (fn: (actor: Actor, body: Form) => Promise<unknown>, opts: { maxLength?: number } = {}) => (ctx: Parameters<Parameters<typeof router.post>[1]>[0]) =>
    page(c(ctx), deps, async (actor) => {
      try {
        await fn(actor, formBody(c(ctx)));
      } catch (err) {
        const problem = problemText(err) ?? (err instanceof AppError && err.status === 403 ? err.message : undefined);
        if (!problem) throw err;
        c(ctx).status = err instanceof AppError ? err.status : 422;
        return masterDataPage(c(ctx), actor, problem);
      }
      ctx.redirect('/timesheets/projects?ok=ts.saved');
    }, opts);

  router.get('/timesheets/projects', (ctx) => page(c(ctx), deps, (actor) => masterDataPage(c(ctx), actor)));
  // Each form is turned into the API's request shape and held to the API's schema.
  router.post('/timesheets/customers', mdPost((actor, body) => createCustomer(deps.db, actor, validate(s.customerBody, { name: field(body, 'name') }))));
  router.post('/timesheets/projects', mdPost((actor, body) => {
    const budgetText = field(body, 'budget_hours').trim().replace(',', '.');
    const input = validate(s.projectBody, {
      name: field(body, 'name'),
      customer_id: field(body, 'customer_id') || null,
      billable: field(body, 'billable') === 'yes',
      budget_hours: budgetText === '' ? null : Number(budgetText),
    });
    return createProject(deps.db, actor, input);
  }));
  router.post('/timesheets/projects/import', mdPost((actor, body) => importMasterData(deps.db, actor, validate(s.importBody, { csv: field(body, 'csv') })), { maxLength: s.IMPORT_MAX_CSV_LENGTH }));
  router.post('/timesheets/projects/:id/tasks', (ctx) =>
    mdPost((actor, body) => createTask(deps.db, actor, idFrom(ctx.params.id), validate(s.taskBody, { name: field(body, 'name') })))(ctx),
  );
  router.post('/timesheets/projects/:id/archived', (ctx) =>
    mdPost((actor, body) => {
      const raw = field(body, 'archived');
      const { archived } = validate(s.archiveBody, { archived: raw === 'true' ? true : raw === 'false' ? false : raw });
      return setProjectArchived(deps.db, actor, idFrom(ctx.params.id), archived);
    })(ctx),
  );

  return router;
}
