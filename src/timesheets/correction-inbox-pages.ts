import type Router from '@koa/router';
import type { Actor } from '../identity/policy.js';
import { ForbiddenError } from '../platform/errors.js';
import { validate } from '../platform/http/api.js';
import type { AppContext, AppState } from '../platform/http/context.js';
import { html, type SafeHtml } from '../web/html.js';
import type { Lang } from '../web/i18n.js';
import { sendPage } from '../web/routes.js';
import { allNames, type TimesheetDeps } from './context.js';
import { correctionCount, correctionInbox, resolveBody, resolveCorrection } from './corrections.js';
import { c, csrf, field, formBody, idFrom, page, problemText } from './page-kit.js';

/** The strings of the admin's correction inbox (nl, en: the same keys). */
export const CORRECTION_INBOX_TEXT = {
  en: {
    link: 'Correction requests',
    title: 'Correction requests',
    intro: 'People in your teams ask for a correction of a locked day. Reopening (an approved day) or returning (a submitted day) puts the day back in their hands with the request as the reason.',
    none: 'No open correction requests.',
    person: 'Person',
    date: 'Date',
    request: 'Request',
    entry: 'Entry',
    whole: 'the whole day',
    one_entry: 'one entry',
    reopen: 'Reopen the day',
    return: 'Return the day',
    decline: 'Decline',
    done: { reopened: 'The day is back with its owner.', declined: 'The request was declined.' },
    back: 'Back to the inbox',
  },
  nl: {
    link: 'Correctieverzoeken',
    title: 'Correctieverzoeken',
    intro: 'Mensen in uw teams vragen om correctie van een vergrendelde dag. Heropenen (een goedgekeurde dag) of teruggeven (een ingediende dag) legt de dag terug bij de eigenaar, met het verzoek als reden.',
    none: 'Geen openstaande correctieverzoeken.',
    person: 'Persoon',
    date: 'Datum',
    request: 'Verzoek',
    entry: 'Boeking',
    whole: 'de hele dag',
    one_entry: 'één boeking',
    reopen: 'Dag heropenen',
    return: 'Dag teruggeven',
    decline: 'Afwijzen',
    done: { reopened: 'De dag ligt weer bij de eigenaar.', declined: 'Het verzoek is afgewezen.' },
    back: 'Terug naar de inbox',
  },
} as const;

/** The inbox page's link to the correction requests, with how many are open (empty for non-admins). */
export async function correctionInboxLink(deps: TimesheetDeps, actor: Actor, l: Lang): Promise<SafeHtml | string> {
  if (!actor.roles.has('team_admin')) return '';
  const n = await correctionCount(deps, actor);
  return html`<p><a href="/timesheets/corrections" id="corrections-link">${CORRECTION_INBOX_TEXT[l].link} (${String(n)})</a></p>`;
}

/** Only team admins have a correction inbox; others get 403 (the API says the same). */
function adminOnly(actor: Actor): void {
  if (!actor.roles.has('team_admin')) throw new ForbiddenError();
}

/** The team admin's correction inbox: open requests in scope (an audited read, as the API), resolved by form. */
export function correctionInboxPages(router: Router<AppState>, deps: TimesheetDeps): void {
  const show = async (x: AppContext, actor: Actor, problem?: string) => {
    const l = x.state.lang;
    const txt = CORRECTION_INBOX_TEXT[l];
    const list = await correctionInbox(deps, actor);
    const who = (await allNames(deps.db, { projects: [], tasks: [], accounts: list.map((r) => r.owner_id) })).accounts;
    const ok = x.query.ok === 'reopened' || x.query.ok === 'declined' ? txt.done[x.query.ok] : undefined;
    sendPage(x, deps.config, txt.title, html`
<h1>${txt.title}</h1>
${problem ? html`<p class="error" role="alert">${problem}</p>` : ''}${ok ? html`<p class="ok" role="status">${ok}</p>` : ''}
<p>${txt.intro}</p>
${list.length
  ? html`<table class="list" id="corrections"><thead><tr><th>${txt.person}</th><th>${txt.date}</th><th>${txt.entry}</th><th>${txt.request}</th><th></th></tr></thead>
<tbody>${list.map((r) => html`<tr id="correction-${r.id}"><td>${who.get(r.owner_id) ?? ''}</td><td><a href="/timesheets/days/${r.day_id}">${r.date}</a></td>
<td>${r.entry_id ? txt.one_entry : txt.whole}</td><td class="note">${r.text}</td>
<td><form method="post" action="/timesheets/corrections/${r.id}/resolve" class="inline">${csrf(x)}<input type="hidden" name="action" value="reopen"><button type="submit">${r.day_state === 'approved' ? txt.reopen : txt.return}</button></form>
<form method="post" action="/timesheets/corrections/${r.id}/resolve" class="inline">${csrf(x)}<input type="hidden" name="action" value="decline"><button type="submit">${txt.decline}</button></form></td></tr>`)}</tbody></table>`
  : html`<p id="corrections-empty">${txt.none}</p>`}
<p><a href="/timesheets/inbox">${txt.back}</a></p>`);
  };

  router.get('/timesheets/corrections', (ctx) =>
    page(c(ctx), deps, async (actor) => {
      adminOnly(actor);
      await show(c(ctx), actor);
    }),
  );

  router.post('/timesheets/corrections/:id/resolve', (ctx) =>
    page(c(ctx), deps, async (actor) => {
      adminOnly(actor);
      const id = idFrom(ctx.params.id);
      let done: string;
      try {
        const { action } = validate(resolveBody, { action: field(formBody(c(ctx)), 'action') });
        done = (await resolveCorrection(deps, actor, id, action)).status;
      } catch (err) {
        const problem = problemText(err, c(ctx).state.lang);
        if (!problem) throw err;
        c(ctx).status = 422;
        return show(c(ctx), actor, problem);
      }
      ctx.redirect(`/timesheets/corrections?ok=${done}`);
    }),
  );
}
