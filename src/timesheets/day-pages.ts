import Router from '@koa/router';
import type { Actor } from '../identity/policy.js';
import { ValidationError } from '../platform/errors.js';
import { validate } from '../platform/http/api.js';
import type { AppContext, AppState } from '../platform/http/context.js';
import { html } from '../web/html.js';
import { t } from '../web/i18n.js';
import { sendPage } from '../web/routes.js';
import type { TimesheetDeps } from './context.js';
import { submitDay } from './day-workflow.js';
import { getMyDay } from './days.js';
import { createEntry, removeEntry } from './entries.js';
import { timeZoneOf } from './settings.js';
import * as s from './schema.js';
import { addDays, localInstant } from './tz.js';
import { field, formBody, c, csrf, notice, stateLabel, page, dateFrom, idFrom, FORM_NAMES, problemText, projectOptions, splitProject, entriesTable } from './page-kit.js';

/** My day: review, add, delete and submit. */
export function dayPages(router: Router<AppState>, deps: TimesheetDeps): void {
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
<label>${t(l, 'ts.project')}<select name="project">${await projectOptions(deps, l)}</select></label>
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
}
