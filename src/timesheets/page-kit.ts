/**
 * What the timesheet pages share: the session gate, form helpers, the entries table.
 */
import { csrfToken, requireAuth, SecondFactorRequiredError, requestActor } from '../identity/http.js';
import type { Actor } from '../identity/policy.js';
import { AppError, UnauthenticatedError, ValidationError } from '../platform/errors.js';
import { validate } from '../platform/http/api.js';
import type { AppContext } from '../platform/http/context.js';
import { assertCleanInput } from '../platform/http/input-guard.js';
import { escapeHtml, html, SafeHtml } from '../web/html.js';
import { t, type Lang, type MessageKey } from '../web/i18n.js';
import { signInUrl } from '../web/next.js';
import { listProjects } from './master-data.js';
import './problems.js'; // registers the domain's problem wordings
import { problemText as pageProblemText } from '../web/problems.js';
import type { TimesheetDeps } from './context.js';
import type { DayView } from './presenter.js';
import { type DayState } from './policy.js';
import * as s from './schema.js';
import { choicesOf, pickerValue } from './project-search.js';
import { parseDuration } from './time-input.js';
import { addDays, localTime } from './tz.js';
import type { RowKey } from './week-grid.js';
import { wt } from './week-strings.js';

/** A parsed form body. */
export type Form = Record<string, unknown>;
/** A form field as text ('' when absent or not text). */
export const field = (body: Form, name: string): string => (typeof body[name] === 'string' ? (body[name] as string) : '');
/** The parsed form body of a post. */
export const formBody = (ctx: AppContext): Form => ((ctx.request as { body?: Form }).body ?? {});
/** Narrows the router's context to the appliance's. */
export const c = (ctx: unknown) => ctx as AppContext;

/** The hidden CSRF field every form carries. */
export function csrf(ctx: AppContext): SafeHtml {
  return html`<input type="hidden" name="_csrf" value="${csrfToken(ctx) ?? ''}">`;
}

/** The problem (role=alert) or success (role=status) line at the top of a page; a success links to what was saved (`?at=`). */
export function notice(ctx: AppContext, problem?: string): SafeHtml {
  const ok = typeof ctx.query.ok === 'string' && ctx.query.ok.startsWith('ts.') ? (ctx.query.ok as MessageKey) : undefined;
  return html`${problem ? html`<p class="error" role="alert">${problem}</p>` : ''}${ok ? html`<p class="ok" role="status">${t(ctx.state.lang, ok)}${savedLink(ctx)}</p>` : ''}`;
}

/** Ids a save may return to (`#entry-…`, `#cell-…`, or a part of the page). */
const SAVED_ID = /^(?:(?:entry|cell)-[0-9a-z_-]{1,120}|day-state|entries|add-entry|week-grid)$/;

/**
 * Where a form post goes back to after a save: the page with `?ok=` and the id of
 * the row or cell just saved, in the query (for the notice's link) and as the
 * fragment (the browser scrolls there; saved-focus.js puts the focus there).
 */
export function savedUrl(path: string, ok: string, at: string): string {
  return `${path}${path.includes('?') ? '&' : '?'}ok=${ok}&at=${encodeURIComponent(at)}#${at}`;
}

/** The notice's link to the row or cell just saved, when the address names one. */
export function savedLink(ctx: AppContext): SafeHtml | string {
  const at = typeof ctx.query.at === 'string' && SAVED_ID.test(ctx.query.at) ? ctx.query.at : undefined;
  return at ? html` <a href="#${at}">${wt(ctx.state.lang, 'to_saved')}</a>` : '';
}

/** A day state in the page's language. */
export const stateLabel = (l: Lang, s: DayState) => t(l, `ts.state_${s}` as MessageKey);
/** Minutes as h:mm. */
export const hm = (minutes: number) => `${Math.floor(minutes / 60)}:${String(minutes % 60).padStart(2, '0')}`;

/**
 * Runs a page that needs a full session; others go to sign-in. Who you are comes
 * before what you sent: the form and URL are checked (unreadable body, NUL bytes,
 * over-long strings) only after authentication, then each handler validates with
 * the API's schemas.
 */
export async function page(ctx: AppContext, deps: TimesheetDeps, fn: (actor: Actor) => Promise<void>, opts: { maxLength?: number } = {}): Promise<void> {
  let accountId: string;
  try {
    accountId = (await requireAuth(ctx, deps.db, deps.config)).accountId;
  } catch (err) {
    if (err instanceof SecondFactorRequiredError) return ctx.redirect('/second-factor');
    if (err instanceof UnauthenticatedError) return ctx.redirect(signInUrl(ctx));
    throw err;
  }
  assertCleanInput(ctx, opts);
  await fn(await requestActor(ctx, deps.db, accountId));
}

/** A date from the URL or a form, checked with the API's date schema (422 naming the field). */
export const dateFrom = (value: unknown, field: string): string => validate(s.calendarDateSchema, value, { prefix: field });

/** An id from the URL, checked with the API's id schema. */
export const idFrom = (id: string | undefined): string => validate(s.idParams, { id }, { prefix: 'path' }).id;

/** Form field names for the schema fields they fill. */
export const FORM_NAMES = { project_id: 'project', task_id: 'project' };

/**
 * Turns expected failures of a form post (422, 409) into a message on the page, in
 * its language: each field by its label, each problem worded from its code.
 */
export function problemText(err: unknown, l: Lang = 'en'): string | undefined {
  if (err instanceof ValidationError || (err instanceof AppError && err.status === 409)) return pageProblemText(l, err);
  return undefined;
}

/** Hours as typed in the week grid (`1:30`, `1.5`, `1,5`, `8`) in minutes; undefined when unreadable (the same parser as the day page). */
export function parseHours(raw: string): number | undefined {
  const p = parseDuration(raw);
  return p.ok ? p.minutes : undefined;
}

/** The Monday of the week a date lies in. */
export function mondayOf(date: string): string {
  const dow = new Date(`${date}T12:00:00Z`).getUTCDay();
  return addDays(date, -((dow + 6) % 7));
}

/**
 * The options of a project picker: a plain `<select>` works without script, grouped by
 * customer (`<optgroup>`), with the person's recent and pinned rows first in a group
 * of their own; picker.js turns a `select[data-picker]` into a searching combobox.
 */
export async function projectOptions(deps: TimesheetDeps, l: Lang = 'en', first: readonly RowKey[] = []): Promise<SafeHtml> {
  const choices = choicesOf(await listProjects(deps.db, false), first);
  const byValue = new Map(choices.map((c) => [c.value, c]));
  const top = first.flatMap((r) => byValue.get(pickerValue(r)) ?? []);
  const groups = new Map<string, typeof choices>();
  for (const c of choices) groups.set(c.customer_name ?? '', [...(groups.get(c.customer_name ?? '') ?? []), c]);
  const names = [...groups.keys()].sort((a, b) => (a === '' ? 1 : b === '' ? -1 : a.localeCompare(b)));
  const option = (c: (typeof choices)[number]) => html`<option value="${c.value}">${c.project_name}${c.task_name ? ` › ${c.task_name}` : ''}${c.code ? ` [${c.code}]` : ''}</option>`;
  return html`${top.length ? html`<optgroup label="${wt(l, 'picker_recent')}">${top.map((c) => html`<option value="${c.value}">${c.label}</option>`)}</optgroup>` : ''}${names.map((n) => html`<optgroup label="${n || wt(l, 'picker_no_customer')}">${groups.get(n)!.map(option)}</optgroup>`)}`;
}

/** The id of a week grid cell's input (a row key `project/task` and a date), for the fragment a save returns to. */
export const cellId = (key: string, date: string): string => `cell-${key.replace('/', '_')}-${date}`;

/** A picker value `project/task` as the API's two fields. */
export function splitProject(v: string): { project_id: string; task_id: string | null } {
  const [project_id = '', task_id] = v.split('/');
  return { project_id, task_id: task_id || null };
}

/** A day's entries with their totals, and per-entry actions. */
export function entriesTable(l: Lang, day: DayView, tz: string, actions: (id: string) => SafeHtml): SafeHtml {
  if (!day.entries.length) return html`<p>${t(l, 'ts.no_entries')}</p>`;
  const totals = html`<h2>${t(l, 'ts.totals')}</h2><table class="list" id="totals"><tbody>${day.totals.map((x) => html`<tr><td>${x.project_name}${x.task_name ? ` › ${x.task_name}` : ''}</td><td>${hm(x.minutes)}</td></tr>`)}</tbody></table>`;
  return html`<table class="list" id="entries">
<thead><tr><th>${t(l, 'ts.start')}</th><th>${t(l, 'ts.end')}</th><th>${t(l, 'ts.project')}</th><th>${t(l, 'ts.note')}</th><th>${t(l, 'ts.total')}</th><th></th></tr></thead>
<tbody>${day.entries.map((e) => html`<tr id="entry-${e.id}" tabindex="-1">
  <td>${e.start ? localTime(new Date(e.start), tz) : '—'}</td><td>${e.end ? localTime(new Date(e.end), tz) : '—'}</td>
  <td>${day.totals.find((x) => x.project_id === e.project_id)?.project_name ?? ''}</td>
  <td class="note">${e.note}${e.overlaps ? html` <strong>(${t(l, 'ts.overlaps')})</strong>` : ''}</td>
  <td>${hm(e.minutes_on_day)}</td><td>${actions(e.id)}</td></tr>`)}</tbody>
<tfoot><tr><th colspan="4">${t(l, 'ts.total')}</th><th id="day-total">${hm(day.total_minutes)}</th><th></th></tr></tfoot></table>${totals}`;
}

/** A picker's options (from projectOptions) with `value` chosen: an input error or an edit form keeps the project. */
export function withSelected(options: SafeHtml, value: string): SafeHtml {
  if (!value) return options;
  const attr = `value="${escapeHtml(value)}"`;
  return new SafeHtml(options.value.replace(attr, `${attr} selected`));
}
