import type Router from '@koa/router';
import type { Actor } from '../identity/policy.js';
import { validate } from '../platform/http/api.js';
import type { AppContext, AppState } from '../platform/http/context.js';
import { html, type SafeHtml } from '../web/html.js';
import type { Lang } from '../web/i18n.js';
import { sendPage } from '../web/routes.js';
import type { TimesheetDeps } from './context.js';
import { correctionBody, myCorrections, requestCorrection, type CorrectionView } from './corrections.js';
import { getMyDay } from './days.js';
import { c, csrf, field, formBody, hm, page, problemText } from './page-kit.js';
import * as s from './schema.js';

/** The strings of the correction page (nl, en: the same keys). */
export const CORRECTION_TEXT = {
  en: {
    link: 'Ask for a correction of this day',
    title: 'Correction request',
    intro: 'This day is locked. Say what is wrong; the admin of your team can reopen the day for you to correct it.',
    entry: 'Which entry (optional)',
    whole: 'The whole day',
    text: 'What is wrong',
    send: 'Send the request',
    sent: 'Your request was sent.',
    mine: 'Your requests for this day',
    none: 'None yet.',
    status: { open: 'open', reopened: 'reopened for you', declined: 'declined' },
    back: 'Back to the day',
  },
  nl: {
    link: 'Vraag een correctie van deze dag aan',
    title: 'Correctieverzoek',
    intro: 'Deze dag is vergrendeld. Schrijf wat er niet klopt; de beheerder van uw team kan de dag voor u heropenen zodat u hem kunt corrigeren.',
    entry: 'Welke boeking (optioneel)',
    whole: 'De hele dag',
    text: 'Wat klopt er niet',
    send: 'Verzoek versturen',
    sent: 'Uw verzoek is verstuurd.',
    mine: 'Uw verzoeken voor deze dag',
    none: 'Nog geen.',
    status: { open: 'open', reopened: 'voor u heropend', declined: 'afgewezen' },
    back: 'Terug naar de dag',
  },
} as const;

/** The one-line link the locked day page shows. */
export function correctionLink(l: Lang, date: string): SafeHtml {
  return html`<p><a href="/timesheets/day/${date}/correction" id="correction-link">${CORRECTION_TEXT[l].link}</a></p>`;
}

/** My correction request page: the form on a locked day and the state of my requests for it. */
export function correctionPages(router: Router<AppState>, deps: TimesheetDeps): void {
  const dateParam = (ctx: { params: Record<string, string> }): string => validate(s.dateParams, { date: ctx.params.date }, { prefix: 'path' }).date;

  const show = async (x: AppContext, actor: Actor, date: string, problem?: string) => {
    const l = x.state.lang;
    const txt = CORRECTION_TEXT[l];
    const day = await getMyDay(deps, actor, date);
    const mine: CorrectionView[] = await myCorrections(deps, actor, date);
    const sent = x.query.ok === 'sent';
    sendPage(x, deps.config, `${txt.title} ${date}`, html`
<h1>${txt.title} ${date}</h1>
${problem ? html`<p class="error" role="alert">${problem}</p>` : ''}${sent ? html`<p class="ok" role="status">${txt.sent}</p>` : ''}
<p>${txt.intro}</p>
<form method="post" action="/timesheets/day/${date}/correction" class="form" id="correction-form">${csrf(x)}
<label>${txt.entry}<select name="entry_id"><option value="">${txt.whole}</option>${day.entries.map((e) => html`<option value="${e.id}">${hm(e.minutes)} ${e.note}</option>`)}</select></label>
<label>${txt.text}<textarea name="text" required maxlength="2000" rows="4"></textarea></label>
<button type="submit">${txt.send}</button></form>
<h2>${txt.mine}</h2>
${mine.length ? html`<ul id="my-corrections">${mine.map((m) => html`<li><time datetime="${m.created_at}">${m.created_at.slice(0, 16).replace('T', ' ')}</time> — <strong>${txt.status[m.status]}</strong>: ${m.text}</li>`)}</ul>` : html`<p id="my-corrections">${txt.none}</p>`}
<p><a href="/timesheets/day/${date}">${txt.back}</a></p>`);
  };

  router.get('/timesheets/day/:date/correction', (ctx) => page(c(ctx), deps, (actor) => show(c(ctx), actor, dateParam(ctx))));

  router.post('/timesheets/day/:date/correction', (ctx) =>
    page(c(ctx), deps, async (actor) => {
      const date = dateParam(ctx);
      const body = formBody(c(ctx));
      try {
        const entry = field(body, 'entry_id');
        await requestCorrection(deps, actor, date, validate(correctionBody, { text: field(body, 'text'), entry_id: entry === '' ? null : entry }));
      } catch (err) {
        const problem = problemText(err, c(ctx).state.lang);
        if (!problem) throw err;
        c(ctx).status = 422;
        return show(c(ctx), actor, date, problem);
      }
      ctx.redirect(`/timesheets/day/${date}/correction?ok=sent`);
    }),
  );
}
