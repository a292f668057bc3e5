import Router from '@koa/router';
import type { AppState } from '../platform/http/context.js';
import { html } from '../web/html.js';
import { t } from '../web/i18n.js';
import { sendPage } from '../web/routes.js';
import type { TimesheetDeps } from './context.js';
import { myEventsSection } from './my-record-page.js';
import { dataReadsOf } from './my-record.js';
import { c, page } from './page-kit.js';

/** Who saw my data: every read of my time data by someone else, and what changed in it. */
export function readsPages(router: Router<AppState>, deps: TimesheetDeps): void {
  router.get('/timesheets/data-reads', (ctx) =>
    page(c(ctx), deps, async (actor) => {
      const x = c(ctx);
      const l = x.state.lang;
      const reads = await dataReadsOf(deps, actor);
      sendPage(x, deps.config, t(l, 'ts.reads_title'), html`
<h1>${t(l, 'ts.reads_title')}</h1>
${reads.length
  ? html`<table class="list" id="reads"><thead><tr><th>${t(l, 'ts.when')}</th><th>${t(l, 'ts.reader')}</th><th>${t(l, 'ts.what')}</th><th>${t(l, 'ts.date')}</th></tr></thead>
<tbody>${reads.map((r) => html`<tr><td>${r.at.slice(0, 16).replace('T', ' ')} UTC</td><td>${r.reader_name ?? r.reader_id}</td><td>${r.what}</td><td>${r.date ?? ''}</td></tr>`)}</tbody></table>`
  : html`<p>${t(l, 'ts.reads_empty')}</p>`}
${await myEventsSection(deps, actor, l, x.query)}`);
    }),
  );
}
