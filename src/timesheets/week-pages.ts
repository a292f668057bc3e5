import Router from '@koa/router';
import type { Actor } from '../identity/policy.js';
import { ValidationError } from '../platform/errors.js';
import { validate } from '../platform/http/api.js';
import type { AppContext, AppState } from '../platform/http/context.js';
import { html } from '../web/html.js';
import { t } from '../web/i18n.js';
import { sendPage } from '../web/routes.js';
import type { TimesheetDeps } from './context.js';
import { listMyDays } from './days.js';
import { createEntries } from './entries.js';
import { returnedDays, returnedDaysBanner } from './home.js';
import { timeZoneOf } from './settings.js';
import { isTeamAdmin } from './policy.js';
import * as s from './schema.js';
import { addDays, localDate } from './tz.js';
import { field, formBody, c, csrf, notice, stateLabel, hm, page, dateFrom, FORM_NAMES, problemText, parseHours, mondayOf, projectOptions, splitProject } from './page-kit.js';

/** My week: the week list and the hours grid (the timer is in the layout, see timer-page.ts). */
export function weekPages(router: Router<AppState>, deps: TimesheetDeps): void {
  const weekPage = async (x: AppContext, actor: Actor, asked: string | undefined, problem?: string) => {
    const l = x.state.lang;
    const tz = await timeZoneOf(deps, actor.accountId);
    const monday = mondayOf(asked ?? localDate(new Date(), tz));
    const days = await listMyDays(deps, actor, monday, addDays(monday, 6));
    sendPage(x, deps.config, t(l, 'ts.week_title'), html`
<h1>${t(l, 'ts.week_title')}</h1>
${notice(x, problem)}
${returnedDaysBanner(l, await returnedDays(deps, actor))}
<p>${t(l, 'ts.privacy_note')}</p>
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
}
