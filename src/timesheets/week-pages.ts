import Router from '@koa/router';
import type { Actor } from '../identity/policy.js';
import { ValidationError, type FieldProblem } from '../platform/errors.js';
import { validate } from '../platform/http/api.js';
import type { AppContext, AppState } from '../platform/http/context.js';
import { html } from '../web/html.js';
import { t } from '../web/i18n.js';
import { sendPage } from '../web/routes.js';
import type { TimesheetDeps } from './context.js';
import { pinFavourite, unpinFavourite } from './favourites.js';
import { exportMyTime } from './my-export.js';
import { timeZoneOf } from './settings.js';
import { returnedDays, returnedDaysBanner } from './home.js';
import { isTeamAdmin } from './policy.js';
import * as s from './schema.js';
import { addDays, localDate } from './tz.js';
import { field, formBody, c, csrf, notice, page, dateFrom, FORM_NAMES, problemText, mondayOf, projectOptions, splitProject, cellId, savedUrl, type Form } from './page-kit.js';
import { parseDuration } from './time-input.js';
import { tsProblem } from './problems.js';
import { copyDays, setCells, type CellInput } from './week-cells.js';
import { keyOf } from './week-grid.js';
import { myExportQuery, rowKeyBody } from './week-schema.js';
import { dayLabel, wt } from './week-strings.js';
import { favouritesSection, gridTable, loadWeek, parseCellName } from './week-view.js';

const ASSETS = { scripts: ['/static/week.js', '/static/picker.js', '/static/saved-focus.js'], styles: ['/static/week.css'] };

/** The cells a posted grid changes, and the problems of what it could not read (named by row and day). */
function postedCells(l: 'nl' | 'en', body: Form, w: Awaited<ReturnType<typeof loadWeek>>): { cells: CellInput[]; names: string[]; problems: FieldProblem[] } {
  const cells: CellInput[] = [];
  const names: string[] = [];
  const problems: FieldProblem[] = [];
  const current = new Map(w.grid.rows.flatMap((r) => r.cells.map((cell) => [`${r.key}@${cell.date}`, cell.minutes] as const)));
  const put = (key: string, date: string, raw: string) => {
    const row = splitProject(key);
    const name = `${w.label(row)}, ${dayLabel(l, date)} (${date})`;
    const parsed = raw === '' ? { ok: true as const, minutes: 0 } : parseDuration(raw);
    if (!parsed.ok) return problems.push(tsProblem(name, 'cell.bad_hours'));
    const minutes = parsed.minutes;
    const at = cells.findIndex((x) => keyOf(x) === key && x.date === date);
    if (at >= 0) {
      cells.splice(at, 1);
      names.splice(at, 1);
    }
    if (minutes === (current.get(`${key}@${date}`) ?? 0)) return;
    cells.push({ ...row, date, minutes });
    names.push(name);
  };
  for (const [k, v] of Object.entries(body)) {
    const cell = parseCellName(k);
    if (cell && typeof v === 'string' && w.grid.dates.includes(cell.date)) put(cell.key, cell.date, v.trim());
  }
  const project = field(body, 'project');
  for (const date of w.grid.dates) {
    const raw = field(body, `h_${date}`).trim();
    if (!raw) continue;
    if (!/^[0-9a-f-]{36}(\/([0-9a-f-]{36})?)?$/.test(project)) problems.push(tsProblem(`${wt(l, 'add_row')}, ${dayLabel(l, date)} (${date})`, 'cell.pick_project'));
    else put(keyOf(splitProject(project)), date, raw);
  }
  return { cells, names, problems };
}

/** My week: the grid with its pins and copy, and my own time as a file (the timer is in the layout, see timer-page.ts). */
export function weekPages(router: Router<AppState>, deps: TimesheetDeps): void {
  const weekPage = async (x: AppContext, actor: Actor, asked: string | undefined, problem?: string, typed?: Form, confirm = false) => {
    const l = x.state.lang;
    const tz = await timeZoneOf(deps, actor.accountId);
    const today = localDate(new Date(), tz);
    const monday = mondayOf(asked ?? today);
    const w = await loadWeek(deps, actor, monday);
    const picker = await projectOptions(deps, l, [...w.favourites, ...w.recent]);
    const copied = typeof x.query.copied === 'string' && /^\d+$/.test(x.query.copied) ? Number(x.query.copied) : undefined;
    sendPage(x, deps.config, t(l, 'ts.week_title'), html`
<h1>${t(l, 'ts.week_title')}</h1>
${notice(x, problem)}${copied === undefined ? '' : html`<p class="ok" role="status">${copied ? wt(l, 'copied', { n: copied }) : wt(l, 'nothing_copied')}</p>`}
${returnedDaysBanner(l, await returnedDays(deps, actor))}
<p>${t(l, 'ts.privacy_note')}</p>
<nav aria-label="${t(l, 'ts.week_title')}"><a href="/timesheets?week=${addDays(monday, -7)}">${t(l, 'ts.previous_week')}</a> · <a href="/timesheets?week=${addDays(monday, 7)}">${t(l, 'ts.next_week')}</a></nav>
<h2 id="grid-h">${wt(l, 'grid_title')}</h2>
<form method="post" action="/timesheets/week" id="week-grid" aria-labelledby="grid-h">${csrf(x)}<input type="hidden" name="week" value="${monday}">
<p id="grid-hint">${wt(l, 'grid_hint')}</p>
${gridTable(l, w, picker, typed)}
${confirm ? html`<p><label><input type="checkbox" name="confirm_long" value="yes"> ${wt(l, 'confirm_long')}</label></p>` : ''}
<p id="grid-status" role="status" data-saved="${wt(l, 'saved')}" data-failed="${wt(l, 'not_saved')}"${l === 'en' ? '' : html` data-problem="${wt(l, 'cell_problem')}"`}></p>
<p><button type="submit" class="button">${wt(l, 'save')}</button></p></form>
<section aria-labelledby="copy-h"><h2 id="copy-h">${wt(l, 'copy_title')}</h2>
<form method="post" action="/timesheets/week/copy-last-week" class="form" id="copy-last-week">${csrf(x)}<input type="hidden" name="week" value="${monday}"><p>${wt(l, 'copy_hint')}</p><button type="submit">${wt(l, 'copy_last_week')}</button></form>
<p>${wt(l, 'copy_yesterday_hint')}</p>
<form method="post" action="/timesheets/day/${today}/copy-yesterday" class="form" id="copy-yesterday">${csrf(x)}<button type="submit">${wt(l, 'copy_yesterday')} (${dayLabel(l, today)})</button></form></section>
${favouritesSection(l, w, csrf(x), picker)}
<section aria-labelledby="export-h"><h2 id="export-h">${wt(l, 'export_title')}</h2><p>${wt(l, 'export_hint')}</p>
<form method="get" action="/timesheets/export" class="form" id="my-export">
<label>${wt(l, 'from')} <input type="date" name="from" value="${monday}" required></label>
<label>${wt(l, 'to')} <input type="date" name="to" value="${addDays(monday, 6)}" required></label>
<button type="submit" name="format" value="csv">${wt(l, 'export_csv')}</button> <button type="submit" name="format" value="xlsx">${wt(l, 'export_xlsx')}</button></form></section>
<p><a href="/timesheets/data-reads">${t(l, 'ts.reads_title')}</a> · <a href="/timesheets/projects">${t(l, 'ts.md_title')}</a>${isTeamAdmin(actor) ? html` · <a href="/timesheets/inbox">${t(l, 'ts.inbox_title')}</a>` : ''}</p>`, { assets: ASSETS });
  };

  router.get('/timesheets', (ctx) =>
    page(c(ctx), deps, (actor) => weekPage(c(ctx), actor, ctx.query.week === undefined ? undefined : dateFrom(ctx.query.week, 'query.week'))),
  );

  // The whole grid in one post, all or none; a refused save shows what was typed and names each bad cell.
  router.post('/timesheets/week', (ctx) =>
    page(c(ctx), deps, async (actor) => {
      const l = c(ctx).state.lang;
      const body = formBody(c(ctx));
      const week = mondayOf(dateFrom(body.week, 'week'));
      let confirm = false;
      let at = 'week-grid';
      try {
        const w = await loadWeek(deps, actor, week);
        const { cells, names, problems } = postedCells(l, body, w);
        if (problems.length) throw new ValidationError(problems);
        // Back to the last cell saved (a new row's cell is found under its project once saved).
        const last = cells.at(-1);
        if (last) at = cellId(keyOf(last), last.date);
        try {
          await setCells(deps, actor, cells, { confirmLong: field(body, 'confirm_long') === 'yes' });
        } catch (err) {
          if (!(err instanceof ValidationError)) throw err;
          confirm = err.fields.some((f) => f.field.endsWith('.confirm_long'));
          throw new ValidationError(err.fields.map((f) => ({ ...f, field: names[Number(/^cells\.(\d+)\./.exec(f.field)?.[1] ?? -1)] ?? f.field })));
        }
      } catch (err) {
        const problem = problemText(err, c(ctx).state.lang);
        if (!problem) throw err;
        c(ctx).status = err instanceof ValidationError ? 422 : 409;
        return weekPage(c(ctx), actor, week, problem, body, confirm);
      }
      ctx.redirect(savedUrl(`/timesheets?week=${week}`, 'ts.saved', at));
    }),
  );

  router.post('/timesheets/week/copy-last-week', (ctx) =>
    page(c(ctx), deps, async (actor) => {
      const week = mondayOf(dateFrom(formBody(c(ctx)).week, 'week'));
      const r = await copyDays(deps, actor, [0, 1, 2, 3, 4, 5, 6].map((i) => ({ from: addDays(week, i - 7), to: addDays(week, i) })));
      ctx.redirect(`/timesheets?week=${week}&copied=${r.entries}`);
    }),
  );

  // Linked from the week page; the day page may link it too. The result shows on that day's week.
  router.post('/timesheets/day/:date/copy-yesterday', (ctx) =>
    page(c(ctx), deps, async (actor) => {
      const date = validate(s.dateParams, { date: ctx.params.date }, { prefix: 'path' }).date;
      const r = await copyDays(deps, actor, [{ from: addDays(date, -1), to: date }]);
      ctx.redirect(`/timesheets?week=${mondayOf(date)}&copied=${r.entries}`);
    }),
  );

  router.post('/timesheets/favourites', (ctx) =>
    page(c(ctx), deps, async (actor) => {
      const body = formBody(c(ctx));
      const week = mondayOf(dateFrom(body.week, 'week'));
      const key = validate(rowKeyBody, splitProject(field(body, 'project')), { rename: FORM_NAMES });
      try {
        await (field(body, 'pinned') === 'true' ? pinFavourite(deps, actor, key) : unpinFavourite(deps, actor, key));
      } catch (err) {
        const problem = problemText(err, c(ctx).state.lang);
        if (!problem) throw err;
        c(ctx).status = 422;
        return weekPage(c(ctx), actor, week, problem);
      }
      ctx.redirect(`/timesheets?week=${week}&ok=ts.saved`);
    }),
  );

  router.get('/timesheets/export', (ctx) =>
    page(c(ctx), deps, async (actor) => {
      const q = validate(myExportQuery, { from: ctx.query.from, to: ctx.query.to, format: ctx.query.format }, { prefix: 'query' });
      const file = await exportMyTime(deps, actor, q.from, q.to, q.format);
      ctx.set('Content-Disposition', `attachment; filename="${file.name}"`);
      ctx.set('Cache-Control', 'no-store');
      ctx.type = file.type;
      ctx.body = file.body;
    }),
  );
}
