import type { Actor } from '../identity/policy.js';
import type { AppContext } from '../platform/http/context.js';
import { html, type SafeHtml } from '../web/html.js';
import { ui } from '../web/ui-strings.js';
import { t, type Lang } from '../web/i18n.js';
import type { TimesheetDeps } from './context.js';
import { getMyDay, listMyDays } from './days.js';
import { mondayOf, hm } from './page-kit.js';
import { canRead, isTeamAdmin, visibleDays } from './policy.js';
import { facts } from './context.js';
import { inWall, listDays } from './repository.js';
import { timeZoneOf } from './settings.js';
import { addDays, localDate } from './tz.js';
import { requestActor } from '../identity/http.js';

/** A day returned to its owner, with the admin's comment. */
export interface ReturnedDay {
  date: string;
  comment: string | null;
}

/** The owner's returned days (newest first, at most `limit`), each with its comment. */
export async function returnedDays(deps: TimesheetDeps, actor: Actor, limit = 10): Promise<ReturnedDay[]> {
  const rows = await inWall(deps.db, actor.accountId, (w) => listDays(w, (q) => q, { states: ['returned'], ownerId: actor.accountId, limit: 200 }));
  const dates = rows.map((r) => r.date).sort().reverse().slice(0, limit);
  // getMyDay opens the sealed comment with the owner's key (the owner reading their own day is no audited read).
  return Promise.all(dates.map(async (date) => ({ date, comment: (await getMyDay(deps, actor, date)).comment })));
}

/**
 * The banner announcing returned days with each comment in reach; empty when none.
 * The start page shows it, and so can the week page.
 */
export function returnedDaysBanner(l: Lang, days: readonly ReturnedDay[]): SafeHtml {
  if (!days.length) return html``;
  return html`<section class="notice" id="returned-days" aria-labelledby="returned-h">
<h2 id="returned-h">${ui(l, 'home.returned')}</h2>
<p>${ui(l, 'home.returned_intro')}</p>
<ul>${days.map((d) => html`<li><a href="/timesheets/day/${d.date}">${d.date}</a>${d.comment ? html` — ${ui(l, 'home.comment')}: <q>${d.comment}</q>` : ''}</li>`)}</ul>
</section>`;
}

/** How many submitted days wait for this admin (a count: no day is read, so nothing is audited). */
export async function inboxCount(deps: TimesheetDeps, actor: Actor): Promise<number> {
  if (!isTeamAdmin(actor)) return 0;
  const rows = await inWall(deps.db, actor.accountId, (w) => listDays(w, visibleDays(actor), { states: ['submitted'], excludeOwnerId: actor.accountId, withoutRestricted: true }));
  return rows.filter((d) => canRead(actor, facts(d))).length;
}

/**
 * What the signed-in start page shows this person: today, this week's total, returned
 * days with their comments, and for team admins the days waiting in the inbox.
 * Undefined before the second factor is done (the page then shows the account link).
 */
export function homeSection(deps: TimesheetDeps): (ctx: AppContext) => Promise<SafeHtml | undefined> {
  return async (ctx) => {
    const auth = ctx.state.auth;
    if (!auth || !auth.secondFactorDone || auth.apiToken) return undefined;
    const l = ctx.state.lang;
    const actor = await requestActor(ctx, deps.db, auth.accountId);
    const tz = await timeZoneOf(deps, actor.accountId);
    const today = localDate(new Date(), tz);
    const monday = mondayOf(today);
    const week = await listMyDays(deps, actor, monday, addDays(monday, 6));
    const todayView = week.find((d) => d.date === today);
    const weekTotal = week.reduce((sum, d) => sum + d.total_minutes, 0);
    const waiting = await inboxCount(deps, actor);
    return html`<section class="home" aria-label="${t(l, 'nav.home')}">
${returnedDaysBanner(l, await returnedDays(deps, actor))}
<div class="cards">
<section class="card" aria-labelledby="home-today"><h2 id="home-today">${ui(l, 'home.today')}</h2>
<p><span class="figure" id="today-total">${hm(todayView?.total_minutes ?? 0)}</span> ${ui(l, 'home.recorded')}</p>
<p><a href="/timesheets/day/${today}">${ui(l, 'home.open_day')}</a></p></section>
<section class="card" aria-labelledby="home-week"><h2 id="home-week">${ui(l, 'home.week')}</h2>
<p><span class="figure" id="week-total">${hm(weekTotal)}</span> ${ui(l, 'home.recorded')}</p>
<p><a href="/timesheets">${ui(l, 'home.open_week')}</a></p></section>
${isTeamAdmin(actor) ? html`<section class="card" aria-labelledby="home-inbox"><h2 id="home-inbox">${ui(l, 'home.inbox')}</h2>
<p><span class="figure" id="inbox-count">${waiting}</span></p>
<p><a href="/timesheets/inbox">${ui(l, 'home.open_inbox')}</a></p></section>` : ''}
</div>
</section>`;
  };
}
