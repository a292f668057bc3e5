import type { Actor } from '../identity/policy.js';
import { hm } from '../timesheets/page-kit.js';
import { localTime } from '../timesheets/tz.js';
import { html, type SafeHtml } from '../web/html.js';
import type { Lang } from '../web/i18n.js';
import type { CaptureDeps } from './context.js';
import { captureDayOf } from './day.js';
import { ct } from './strings.js';

/** A suggestion's label in the page's language: a rule's as "<field>: <pattern>" (as "My activity" shows it), an app's as the app. */
function labelOf(l: Lang, s: { rule: number | null; label: string }): string {
  const [field, ...pattern] = s.label.split(': ');
  if (s.rule === null || (field !== 'app' && field !== 'title' && field !== 'url')) return s.label;
  return `${ct(l, `field.${field}`)}: ${pattern.join(': ')}`;
}

/**
 * "My activity" on the person's own day page (`/timesheets/day/:date`, handed to the
 * timesheets as their `dayActivity` by src/app): the day's captured activity as a short
 * timeline beside the entries — the suggestions' blocks in the order of the day, each
 * with its app or mapping rule — the breaks, and the way to the activity page where a
 * suggestion becomes entries. Only the timesheets' own day page calls it, with the
 * signed-in person as `actor`, so it never shows anyone else's activity; nothing here
 * counts as time.
 */
export function dayActivitySection(deps: CaptureDeps): (actor: Actor, date: string, lang: Lang) => Promise<SafeHtml> {
  return async (actor, date, l) => {
    // The section's heading and the way to "My activity" around what there is to show.
    const section = (body: SafeHtml) => html`<section id="my-activity" aria-labelledby="activity-h"><h2 id="activity-h">${ct(l, 'title')}</h2>
${body}
<p><a href="/capture/day/${date}" id="activity-link">${ct(l, 'open_day')}</a></p></section>`;
    let day: Awaited<ReturnType<typeof captureDayOf>>;
    try {
      day = await captureDayOf(deps, actor.accountId, date);
    } catch {
      // A period deleted or shredded mid-read, a row that does not open: the day page and its entries still work.
      return section(html`<p id="activity-unavailable">${ct(l, 'day_unavailable')}</p>`);
    }
    const at = (iso: string) => localTime(new Date(iso), day.time_zone);
    const blocks = day.suggestions
      .flatMap((s) => s.blocks.map((b) => ({ ...b, label: labelOf(l, s) })))
      .sort((a, b) => a.start.localeCompare(b.start) || a.label.localeCompare(b.label));
    if (!blocks.length && !day.breaks.length) return section(html`<p>${ct(l, 'no_activity')}</p>`);
    const minutes = (b: { start: string; end: string }) => Math.round((Date.parse(b.end) - Date.parse(b.start)) / 60_000);
    return section(html`<p class="hint">${ct(l, 'day_hint')}</p>
${blocks.length
  ? html`<div class="table-scroll"><table class="list" id="activity-blocks"><thead><tr><th>${ct(l, 'col.from')}</th><th>${ct(l, 'col.to')}</th><th>${ct(l, 'col.activity')}</th><th>${ct(l, 'col.time')}</th></tr></thead>
<tbody>${blocks.map((b) => html`<tr><td>${at(b.start)}</td><td>${at(b.end)}</td><td>${b.label}</td><td>${hm(minutes(b))}</td></tr>`)}</tbody></table></div>`
  : html`<p>${ct(l, 'no_activity')}</p>`}
${day.breaks.length ? html`<p id="activity-breaks">${ct(l, 'breaks')}: ${day.breaks.map((b, i) => html`${i ? ', ' : ''}${at(b.start)}–${at(b.end)}`)}</p>` : ''}`);
  };
}
