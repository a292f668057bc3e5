import Router from '@koa/router';
import type { Actor } from '../identity/policy.js';
import { validate } from '../platform/http/api.js';
import type { AppContext, AppState } from '../platform/http/context.js';
import { html, SafeHtml } from '../web/html.js';
import { t } from '../web/i18n.js';
import { sendPage } from '../web/routes.js';
import { ui } from '../web/ui-strings.js';
import type { TimesheetDeps } from './context.js';
import { timeZoneOf } from './settings.js';
import { changeTimer, getTimer, startTimer, stopTimer, switchTimer } from './timer.js';
import * as s from './schema.js';
import { localDate, localTime } from './tz.js';
import { c, csrf, field, FORM_NAMES, formBody, notice, page, projectOptions, splitProject } from './page-kit.js';

/**
 * The timer page: what the layout's timer widget links to without JavaScript (with
 * it, the widget does the same through the JSON API). Start; while running change
 * project and note, switch in one step, or stop — stopping goes to the day of the
 * entry it made.
 */
export function timerPages(router: Router<AppState>, deps: TimesheetDeps): void {
  const timerPage = async (x: AppContext, actor: Actor) => {
    const l = x.state.lang;
    const tz = await timeZoneOf(deps, actor.accountId);
    const timer = await getTimer(deps, actor);
    const current = timer.task_id ? `${timer.project_id}/${timer.task_id}` : (timer.project_id ?? '');
    // The running timer's project is preselected (the picker is shared, so mark it here).
    const options = (await projectOptions(deps)).value.replace(`value="${current}"`, `value="${current}" selected`);
    const picker = html`<label>${t(l, 'ts.project')}<select name="project">${new SafeHtml(options)}</select></label>`;
    sendPage(x, deps.config, t(l, 'ts.timer'), html`
<h1 id="timer-h">${t(l, 'ts.timer')}</h1>
${notice(x)}
<p>${ui(l, 'timer.page_intro')}</p>
${timer.running
  ? html`<p id="timer-state">${t(l, 'ts.timer_running')} ${localTime(new Date(timer.started_at!), tz)}</p>
<form method="post" action="/timesheets/timer/change" class="form" id="timer-change">${csrf(x)}
${picker}
<label>${t(l, 'ts.note')}<input type="text" name="note" value="${timer.note ?? ''}"></label>
<button type="submit">${ui(l, 'timer.save')}</button>
<button type="submit" formaction="/timesheets/timer/switch">${ui(l, 'timer.switch')}</button></form>
<form method="post" action="/timesheets/timer/stop" class="form">${csrf(x)}<button type="submit" id="timer-stop-page">${t(l, 'ts.timer_stop')}</button></form>`
  : html`<p id="timer-state">${t(l, 'ts.timer_stopped')}</p>
<form method="post" action="/timesheets/timer/start" class="form" id="timer-start-form">${csrf(x)}
${picker}
<label>${t(l, 'ts.note')}<input type="text" name="note"></label>
<button type="submit">${t(l, 'ts.timer_start')}</button></form>`}`);
  };
  const input = (x: AppContext) => {
    const body = formBody(x);
    return validate(s.timerStartBody, { ...splitProject(field(body, 'project')), note: field(body, 'note') }, { rename: FORM_NAMES });
  };

  router.get('/timesheets/timer', (ctx) => page(c(ctx), deps, (actor) => timerPage(c(ctx), actor)));
  router.post('/timesheets/timer/start', (ctx) =>
    page(c(ctx), deps, async (actor) => {
      await startTimer(deps, actor, input(c(ctx)));
      ctx.redirect('/timesheets/timer?ok=ts.saved#timer-state');
    }),
  );
  router.post('/timesheets/timer/change', (ctx) =>
    page(c(ctx), deps, async (actor) => {
      await changeTimer(deps, actor, input(c(ctx)));
      ctx.redirect('/timesheets/timer?ok=ts.saved#timer-change');
    }),
  );
  const toDay = async (x: AppContext, actor: Actor, start: string | null, date: string | null) => {
    const day = date ?? localDate(new Date(start!), await timeZoneOf(deps, actor.accountId));
    x.redirect(`/timesheets/day/${day}?ok=ts.saved#entries`);
  };
  router.post('/timesheets/timer/switch', (ctx) =>
    page(c(ctx), deps, async (actor) => {
      const { entry } = await switchTimer(deps, actor, input(c(ctx)));
      await toDay(c(ctx), actor, entry.start, entry.date);
    }),
  );
  router.post('/timesheets/timer/stop', (ctx) =>
    page(c(ctx), deps, async (actor) => {
      const { entry } = await stopTimer(deps, actor);
      await toDay(c(ctx), actor, entry.start, entry.date);
    }),
  );
}
