import Router from '@koa/router';
import type { Actor } from '../identity/policy.js';
import { ValidationError, type FieldProblem } from '../platform/errors.js';
import { validate } from '../platform/http/api.js';
import type { AppContext, AppState } from '../platform/http/context.js';
import { html, type SafeHtml } from '../web/html.js';
import { t, type Lang } from '../web/i18n.js';
import { sendPage } from '../web/routes.js';
import type { TimesheetDeps } from './context.js';
import { submitDay, takeBackDay } from './day-workflow.js';
import { getMyDay } from './days.js';
import { changeEntry, createEntry, removeEntry } from './entries.js';
import { entryDates } from './entry-rules.js';
import type { DayView } from './presenter.js';
import { timeZoneOf } from './settings.js';
import { correctionLink } from './correction-pages.js';
import * as s from './schema.js';
import { et, isEntryStringKey } from './strings.js';
import { tsProblem } from './problems.js';
import { clock, parseDuration, parseTimeOfDay } from './time-input.js';
import { addDays, localInstant, localTime } from './tz.js';
import { field, formBody, c, csrf, notice, stateLabel, hm, page, dateFrom, idFrom, FORM_NAMES, problemText, projectOptions, splitProject, entriesTable, withSelected, savedUrl, savedLink, type Form } from './page-kit.js';

/** What the person typed into an entry form, kept to show it again after a problem. */
type Typed = Record<'project' | 'start' | 'end' | 'duration' | 'note' | 'overnight', string>;
const TYPED_FIELDS = ['project', 'start', 'end', 'duration', 'note', 'overnight'] as const;
const typedFrom = (body: Form): Typed => Object.fromEntries(TYPED_FIELDS.map((k) => [k, field(body, k)])) as Typed;
const EMPTY: Typed = { project: '', start: '', end: '', duration: '', note: '', overnight: '' };

/** A form that failed: which one, what was typed, and whether the problem is one a confirmation lifts. */
interface Failed {
  form: 'add' | string;
  typed: Typed;
  confirm: boolean;
}

/**
 * An entry form's fields as the API's body: start and end on `base` (the next day only
 * when "overnight" is ticked; otherwise an end at or before the start is refused), or
 * a duration on `base`. Problems name the form's fields (422).
 */
function entryInput(body: Form, base: string, tz: string): s.EntryCreateBody {
  const v = typedFrom(body);
  const problems: FieldProblem[] = [];
  const project = splitProject(v.project);
  const common = { ...project, note: v.note, ...(field(body, 'confirm_long') === 'yes' ? { confirm_long: true } : {}) };
  if (v.duration.trim()) {
    if (v.start.trim() || v.end.trim()) throw new ValidationError([tsProblem('duration', 'form.both_given')]);
    const d = parseDuration(v.duration);
    if (!d.ok) throw new ValidationError([{ ...d, field: 'duration' }]);
    return validate(s.entryCreateBody, { ...common, date: base, duration_minutes: d.minutes }, { rename: { ...FORM_NAMES, duration_minutes: 'duration' } });
  }
  const start = parseTimeOfDay(v.start);
  const end = parseTimeOfDay(v.end);
  if (!start.ok) problems.push({ ...start, field: 'start' });
  if (!end.ok) problems.push({ ...end, field: 'end' });
  if (start.ok && end.ok && end.minutes <= start.minutes && v.overnight !== 'yes') problems.push(tsProblem('end', 'form.end_before_start'));
  if (problems.length || !start.ok || !end.ok) throw new ValidationError(problems);
  const from = localInstant(base, clock(start.minutes), tz);
  const to = localInstant(v.overnight === 'yes' ? addDays(base, 1) : base, clock(end.minutes), tz);
  return validate(s.entryCreateBody, { ...common, start: from.toISOString(), end: to.toISOString() }, { rename: FORM_NAMES });
}

/** The fields of an entry form (add or edit), filled with what was typed or stored. */
function entryFields(l: Lang, options: SafeHtml, v: Typed, confirm: boolean): SafeHtml {
  return html`<label>${t(l, 'ts.project')}<select name="project">${withSelected(options, v.project)}</select></label>
<label>${t(l, 'ts.start')}<input type="text" name="start" inputmode="numeric" autocomplete="off" value="${v.start}"></label>
<label>${t(l, 'ts.end')}<input type="text" name="end" inputmode="numeric" autocomplete="off" value="${v.end}"></label>
<label>${t(l, 'ts.note')}<input type="text" name="note" value="${v.note}"></label>
<label class="check"><input type="checkbox" name="overnight" value="yes"${v.overnight === 'yes' ? html` checked` : ''}> ${et(l, 'overnight')}</label>
<label>${et(l, 'duration')}<input type="text" name="duration" inputmode="decimal" autocomplete="off" value="${v.duration}"></label>
${confirm ? html`<p class="error">${et(l, 'confirm_long_hint')}</p><label class="check"><input type="checkbox" name="confirm_long" value="yes"> ${et(l, 'confirm_long')}</label>` : ''}`;
}

/** A stored entry as its edit form shows it. */
function typedOf(e: DayView['entries'][number], tz: string): Typed {
  const project = e.task_id ? `${e.project_id}/${e.task_id}` : e.project_id;
  if (e.start === null) return { ...EMPTY, project, note: e.note, duration: hm(e.minutes) };
  const { first, last } = entryDates(e, tz);
  return { project, note: e.note, duration: '', start: localTime(new Date(e.start), tz), end: localTime(new Date(e.end!), tz), overnight: first !== last ? 'yes' : '' };
}

/** The date an entry's typed times count from (its start's local date, or its date). */
const baseOf = (e: DayView['entries'][number], tz: string) => entryDates(e, tz).first;

/** My day: review, add, edit in place, delete, submit (asked once), take back. */
export function dayPages(router: Router<AppState>, deps: TimesheetDeps): void {
  const dayPage = async (x: AppContext, actor: Actor, date: string, problem?: string, failed?: Failed) => {
    const l = x.state.lang;
    const [day, activity] = await Promise.all([getMyDay(deps, actor, date), deps.dayActivity ? deps.dayActivity(actor, date, l) : html``]);
    const tz = day.time_zone;
    const open = day.state === 'draft' || day.state === 'returned';
    const options = open ? await projectOptions(deps, l) : html``;
    const ok = isEntryStringKey(x.query.ok) ? html`<p class="ok" role="status">${et(l, x.query.ok)}${savedLink(x)}</p>` : '';
    const rowActions = (id: string): SafeHtml => {
      if (!open) return html``;
      const e = day.entries.find((en) => en.id === id)!;
      const mine = failed?.form === id ? failed : undefined;
      return html`<details class="edit"${mine ? html` open` : ''}><summary>${et(l, 'edit')}</summary>
<form method="post" action="/timesheets/entries/${id}/edit" class="form" id="edit-${id}">${csrf(x)}<input type="hidden" name="date" value="${date}"><input type="hidden" name="base" value="${baseOf(e, tz)}">
${entryFields(l, options, mine?.typed ?? typedOf(e, tz), mine?.confirm ?? false)}
<button type="submit">${et(l, 'save')}</button></form></details>
<form method="post" action="/timesheets/entries/${id}/delete">${csrf(x)}<input type="hidden" name="date" value="${date}"><button type="submit" class="link">${t(l, 'ts.delete')}</button></form>`;
    };
    const adding = failed?.form === 'add' ? failed : undefined;
    sendPage(x, deps.config, `${t(l, 'ts.day_title')} ${date}`, html`
<h1>${t(l, 'ts.day_title')} ${date}</h1>
${notice(x, problem)}${ok}
<p>${t(l, 'ts.state')}: <strong id="day-state">${stateLabel(l, day.state)}</strong></p>
${day.comment ? html`<p class="error" id="day-comment">${t(l, 'ts.comment')}: ${day.comment}</p>` : ''}
<h2>${t(l, 'ts.entries')}</h2>
${entriesTable(l, day, tz, rowActions)}
${activity}
${open
  ? html`<h2>${t(l, 'ts.add_entry')}</h2>
<p class="hint">${et(l, 'time_hint')}</p>
<form method="post" action="/timesheets/day/${date}/entries" class="form" id="add-entry">${csrf(x)}
${entryFields(l, options, adding?.typed ?? EMPTY, adding?.confirm ?? false)}
<button type="submit">${t(l, 'ts.add_entry')}</button></form>
<form method="post" action="/timesheets/day/${date}/submit" class="form">${csrf(x)}<button type="submit" id="submit-day">${t(l, 'ts.submit_day')}</button></form>`
  : html`<p>${t(l, 'ts.locked')}</p>
${day.state === 'submitted'
  ? html`<form method="post" action="/timesheets/day/${date}/take-back" class="form" id="take-back">${csrf(x)}<p>${et(l, 'take_back_hint')}</p><button type="submit">${et(l, 'take_back')}</button></form>`
  : ''}
${correctionLink(l, date)}`}
<p><a href="/timesheets?week=${date}">${t(l, 'ts.week_title')}</a></p>`, { assets: { scripts: ['/static/saved-focus.js'], styles: ['/static/day.css'] } });
  };

  /**
   * Runs a form post; an expected problem shows the day again with everything typed
   * (422 or 409). A save returns to the row or part of the page it concerned (`at`,
   * or the entry the call gave back), so the person carries on where they were.
   */
  const attempt = async (x: AppContext, actor: Actor, date: string, fn: () => Promise<unknown>, done: string, failedForm?: string, at?: string) => {
    let result: unknown;
    try {
      result = await fn();
    } catch (err) {
      const problem = problemText(err, x.state.lang);
      if (!problem) throw err;
      x.status = err instanceof ValidationError ? 422 : 409;
      const confirm = err instanceof ValidationError && err.fields.some((f) => f.field.endsWith('confirm_long'));
      return dayPage(x, actor, date, problem, failedForm ? { form: failedForm, typed: typedFrom(formBody(x)), confirm } : undefined);
    }
    const saved = result && typeof result === 'object' && typeof (result as { id?: unknown }).id === 'string' ? `entry-${(result as { id: string }).id}` : undefined;
    x.redirect(savedUrl(`/timesheets/day/${date}`, done, at ?? saved ?? 'entries'));
  };

  const dateParam = (ctx: { params: Record<string, string> }): string => validate(s.dateParams, { date: ctx.params.date }, { prefix: 'path' }).date;

  router.get('/timesheets/day/:date', (ctx) => page(c(ctx), deps, (actor) => dayPage(c(ctx), actor, dateParam(ctx))));

  router.post('/timesheets/day/:date/entries', (ctx) =>
    page(c(ctx), deps, async (actor) => {
      const date = dateParam(ctx);
      const tz = await timeZoneOf(deps, actor.accountId);
      await attempt(c(ctx), actor, date, () => createEntry(deps, actor, entryInput(formBody(c(ctx)), date, tz)), 'ts.saved', 'add');
    }),
  );

  router.post('/timesheets/entries/:id/edit', (ctx) =>
    page(c(ctx), deps, async (actor) => {
      const id = idFrom(ctx.params.id);
      const body = formBody(c(ctx));
      const date = dateFrom(body.date, 'date');
      const base = dateFrom(body.base, 'base');
      const tz = await timeZoneOf(deps, actor.accountId);
      await attempt(c(ctx), actor, date, async () => {
        const input = entryInput(body, base, tz);
        // Either form of entry replaces the other: a timed entry made a duration clears its times, and back.
        return changeEntry(deps, actor, id, input);
      }, 'ts.saved', id);
    }),
  );

  router.post('/timesheets/entries/:id/delete', (ctx) =>
    page(c(ctx), deps, async (actor) => {
      const id = idFrom(ctx.params.id);
      const date = dateFrom(formBody(c(ctx)).date, 'date');
      await attempt(c(ctx), actor, date, () => removeEntry(deps, actor, id), 'ts.saved', undefined, 'entries');
    }),
  );

  router.post('/timesheets/day/:date/submit', (ctx) =>
    page(c(ctx), deps, async (actor) => {
      const x = c(ctx);
      const date = dateParam(ctx);
      if (field(formBody(x), 'confirm') !== 'yes') {
        // Asked once, without script: the day and its total, and one button that submits.
        const l = x.state.lang;
        const day = await getMyDay(deps, actor, date);
        return sendPage(x, deps.config, `${t(l, 'ts.submit_day')} ${date}`, html`
<h1>${t(l, 'ts.submit_day')}</h1>
<form method="post" action="/timesheets/day/${date}/submit" class="form" id="confirm-submit-form">${csrf(x)}<input type="hidden" name="confirm" value="yes">
<p id="submit-question">${et(l, 'submit_confirm', { date, hours: hm(day.total_minutes) })}</p>
${deps.workingTimeWarnings ? deps.workingTimeWarnings.list(l, await deps.workingTimeWarnings.mine(actor, date)) : ''}
<button type="submit" id="confirm-submit">${et(l, 'submit_yes')}</button></form>
<p><a href="/timesheets/day/${date}">${et(l, 'cancel')}</a></p>`);
      }
      await attempt(x, actor, date, () => submitDay(deps, actor, date), 'ts.submitted_ok', undefined, 'day-state');
    }),
  );

  router.post('/timesheets/day/:date/take-back', (ctx) =>
    page(c(ctx), deps, async (actor) => {
      const date = dateParam(ctx);
      await attempt(c(ctx), actor, date, () => takeBackDay(deps, actor, date), 'taken_back_ok', undefined, 'day-state');
    }),
  );
}
