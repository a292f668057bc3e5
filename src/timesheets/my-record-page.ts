import type { Actor } from '../identity/policy.js';
import { ValidationError } from '../platform/errors.js';
import { html, type SafeHtml } from '../web/html.js';
import { t, type Lang } from '../web/i18n.js';
import type { TimesheetDeps } from './context.js';
import { eventsAbout } from './my-record.js';
import { actionLabel, fieldLabels, nounLabel } from './record-words.js';
import { localDate, localTime } from './tz.js';

/** An actor that is no account: the appliance itself, or a command run on the server. */
const who = (l: Lang, id: string): string => (id === 'system' || id.startsWith('system:') ? (l === 'nl' ? 'Uurwerk (automatisch)' : 'Uurwerk (automatic)') : id.startsWith('cli:') ? (l === 'nl' ? 'Beheerder op de server' : 'Administrator on the server') : id);

/** The page size of "What changed in my data". */
const PAGE = 50;

/**
 * The "What changed in my data" section of the who-saw-my-data page: the audit events
 * about the actor, newest first, 50 a page (`?before=<seq>` for older ones), in readable
 * words and the person's local time.
 */
export async function myEventsSection(deps: TimesheetDeps, actor: Actor, l: Lang, query: Record<string, unknown>, tz: string): Promise<SafeHtml> {
  const raw = query.before;
  if (raw !== undefined && (typeof raw !== 'string' || !/^[1-9][0-9]{0,14}$/.test(raw))) throw new ValidationError([{ field: 'before', message: 'must be a whole number ≥ 1' }]);
  const { events, next_before } = await eventsAbout(deps, actor, { before: raw === undefined ? undefined : Number(raw), limit: PAGE });
  return html`
<h2 id="changes">${t(l, 'rec.title')}</h2>
<p>${t(l, 'rec.intro')}</p>
<p><a href="/me/data">${l === 'nl' ? 'Mijn gegevens: alles wat over mij bewaard wordt, en downloaden' : 'My data: everything held about me, and its download'}</a></p>
${events.length
  ? html`<table class="list" id="events"><thead><tr><th>${t(l, 'ts.when')}</th><th>${t(l, 'rec.who')}</th><th>${t(l, 'rec.action')}</th><th>${t(l, 'rec.object')}</th><th>${t(l, 'ts.date')}</th><th>${t(l, 'rec.fields')}</th></tr></thead>
<tbody>${events.map((e) => html`<tr><td>${localDate(new Date(e.at), tz)} ${localTime(new Date(e.at), tz)}</td><td>${e.actor_name ?? who(l, e.actor_id)}</td><td>${actionLabel(l, e.action)}</td><td>${nounLabel(l, e.object_type)}</td><td>${e.date ?? ''}</td><td>${fieldLabels(l, e.fields)}</td></tr>`)}</tbody></table>
${next_before ? html`<p><a href="/timesheets/data-reads?before=${String(next_before)}#changes">${t(l, 'rec.older')}</a></p>` : ''}`
  : html`<p>${t(l, 'rec.empty')}</p>`}`;
}
