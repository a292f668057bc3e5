import Router from '@koa/router';
import { validate } from '../platform/http/api.js';
import type { AppState } from '../platform/http/context.js';
import { html } from '../web/html.js';
import { t } from '../web/i18n.js';
import { sendPage } from '../web/routes.js';
import type { TimesheetDeps } from './context.js';
import { correctionInboxLink } from './correction-inbox-pages.js';
import { approveDays, reopenDay, returnDay } from './day-workflow.js';
import { getDay, listReviewDays } from './days.js';
import * as s from './schema.js';
import { et, isEntryStringKey } from './strings.js';
import { field, formBody, c, csrf, notice, stateLabel, hm, page, idFrom, entriesTable } from './page-kit.js';

/** The admin's inbox, the review page of a submitted day, approve and return. */
export function reviewPages(router: Router<AppState>, deps: TimesheetDeps): void {
  router.get('/timesheets/inbox', (ctx) =>
    page(c(ctx), deps, async (actor) => {
      const x = c(ctx);
      const l = x.state.lang;
      const { days } = await listReviewDays(deps, actor, { state: 'submitted' });
      sendPage(x, deps.config, t(l, 'ts.inbox_title'), html`
<h1>${t(l, 'ts.inbox_title')}</h1>
${notice(x)}
${await correctionInboxLink(deps, actor, l)}
${days.length
  ? html`<form method="post" action="/timesheets/inbox/approve">${csrf(x)}
<table class="list" id="inbox"><thead><tr><th></th><th>${t(l, 'ts.person')}</th><th>${t(l, 'ts.date')}</th><th>${t(l, 'ts.total')}</th><th>${et(l, 'flags')}</th><th></th></tr></thead>
<tbody>${days.map((d) => html`<tr><td><input type="checkbox" name="ids" value="${d.id}" aria-label="${d.owner_name ?? ''} ${d.date}"></td><td>${d.owner_name ?? ''}</td><td>${d.date}</td><td>${hm(d.total_minutes)}</td>
<td class="flags">${d.flags.map((f) => html`<strong class="flag" data-flag="${f}">${et(l, `flag_${f}`)}</strong> `)}${deps.workingTimeWarnings?.flags(l, d.warnings) ?? ''}</td><td><a href="/timesheets/days/${d.id}">${t(l, 'ts.open_day')}</a></td></tr>`)}</tbody></table>
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
${notice(x)}${isEntryStringKey(x.query.ok) ? html`<p class="ok" role="status">${et(l, x.query.ok)}</p>` : ''}
<p>${t(l, 'ts.state')}: <strong id="day-state">${stateLabel(l, day.state)}</strong></p>
${entriesTable(l, day, day.time_zone, () => html``)}
${deps.workingTimeWarnings ? deps.workingTimeWarnings.list(l, await deps.workingTimeWarnings.ofDay(actor, day)) : ''}
${day.state === 'submitted' && day.owner_id !== actor.accountId
  ? html`<form method="post" action="/timesheets/days/${day.id}/approve" class="form">${csrf(x)}<button type="submit" id="approve">${t(l, 'ts.approve')}</button></form>
<form method="post" action="/timesheets/days/${day.id}/return" class="form">${csrf(x)}
<label>${t(l, 'ts.return_comment')}<input type="text" name="comment" required></label>
<button type="submit">${t(l, 'ts.return')}</button></form>`
  : ''}
${day.state === 'approved' && day.owner_id !== actor.accountId
  ? html`<form method="post" action="/timesheets/days/${day.id}/reopen" class="form" id="reopen">${csrf(x)}
<label>${et(l, 'reopen_reason')}<input type="text" name="reason" required></label>
<button type="submit">${et(l, 'reopen')}</button></form>`
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

  router.post('/timesheets/days/:id/reopen', (ctx) =>
    page(c(ctx), deps, async (actor) => {
      const id = idFrom(ctx.params.id);
      const { reason } = validate(s.reopenBody, { reason: field(formBody(c(ctx)), 'reason') });
      await reopenDay(deps, actor, id, reason);
      ctx.redirect(`/timesheets/days/${id}?ok=reopened_ok`);
    }),
  );
}
