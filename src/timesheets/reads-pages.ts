import Router from '@koa/router';
import type { AppState } from '../platform/http/context.js';
import { html } from '../web/html.js';
import { t } from '../web/i18n.js';
import { sendPage } from '../web/routes.js';
import type { TimesheetDeps } from './context.js';
import { myEventsSection } from './my-record-page.js';
import { dataReadsOf } from './my-record.js';
import { c, page } from './page-kit.js';
import type { DataRead } from './presenter.js';
import { nounLabel } from './record-words.js';
import { timeZoneOf } from './settings.js';
import { localDate, localTime } from './tz.js';

/** Reads of one thing by one person on one day of reading, shown as one row. */
export interface ReadGroup {
  reader: string;
  what: string;
  date: string | null;
  /** The local day the reads happened on, and the first and last local time. */
  day: string;
  from: string;
  to: string;
  count: number;
}

/**
 * Groups reads (newest first) by reader, what was read, the day it concerns and the
 * local day of reading: an admin opening one day five times is one row, "5×".
 */
export function groupReads(reads: readonly DataRead[], tz: string): ReadGroup[] {
  const groups = new Map<string, ReadGroup>();
  for (const r of reads) {
    const at = new Date(r.at);
    const day = localDate(at, tz);
    const time = localTime(at, tz);
    const reader = r.reader_name ?? r.reader_id;
    const key = JSON.stringify([r.reader_id, r.what, r.date, day]);
    const g = groups.get(key);
    if (g) {
      g.count++;
      g.from = time; // newest first: each later row is earlier in the day
    } else groups.set(key, { reader, what: r.what, date: r.date, day, from: time, to: time, count: 1 });
  }
  return [...groups.values()];
}

/** Who saw my data: every read of my time data by someone else, and what changed in it. */
export function readsPages(router: Router<AppState>, deps: TimesheetDeps): void {
  router.get('/timesheets/data-reads', (ctx) =>
    page(c(ctx), deps, async (actor) => {
      const x = c(ctx);
      const l = x.state.lang;
      const tz = await timeZoneOf(deps, actor.accountId);
      const reads = groupReads(await dataReadsOf(deps, actor), tz);
      sendPage(x, deps.config, t(l, 'ts.reads_title'), html`
<h1>${t(l, 'ts.reads_title')}</h1>
${reads.length
  ? html`<table class="list" id="reads"><thead><tr><th>${t(l, 'ts.when')}</th><th>${t(l, 'ts.reader')}</th><th>${t(l, 'ts.what')}</th><th>${t(l, 'ts.date')}</th></tr></thead>
<tbody>${reads.map((r) => html`<tr><td>${r.day} ${r.from}${r.to !== r.from ? `–${r.to}` : ''}${r.count > 1 ? html` <span class="count">(${r.count}×)</span>` : ''}</td><td>${r.reader}</td><td>${nounLabel(l, r.what)}</td><td>${r.date ?? ''}</td></tr>`)}</tbody></table>`
  : html`<p>${t(l, 'ts.reads_empty')}</p>`}
${await myEventsSection(deps, actor, l, x.query, tz)}`);
    }),
  );
}
