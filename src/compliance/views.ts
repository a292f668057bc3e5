import { formatStatus, type RetentionStatus } from '../retention/status.js';
import { html, type SafeHtml } from '../web/html.js';
import type { Lang } from '../web/i18n.js';
import type { AccessReviewRow, ReviewPeriod } from './access-review.js';
import type { ConfigFlag, EventsPage, VerificationView, VerifyRunView } from './schema.js';
import { cs, type ComplianceKey } from './strings.js';

/**
 * The auditor's pages' markup: plain tables and GET forms (native controls, labels
 * tied to fields). Nothing here writes: every form is a filter.
 */

const k = (key: string) => key as ComplianceKey;
const when = (iso: string | null) => (iso ? `${iso.slice(0, 19).replace('T', ' ')} UTC` : '');

/** A problem line above the content. */
export function problemLine(problem?: string): SafeHtml {
  return problem ? html`<p class="error" role="alert">${problem}</p>` : html``;
}

const back = (l: Lang) => html`<p><a href="/audit">← ${cs(l, 'back')}</a></p>`;
const input = (name: string, label: string, value = '') => html`<p><label for="${name}">${label}</label><br><input id="${name}" name="${name}" type="text" value="${value}"></p>`;
const yesNo = (l: Lang, v: boolean | null) => (v === null ? cs(l, 'aged') : v ? cs(l, 'yes') : html`<strong>${cs(l, 'no')}</strong>`);

/** The query string of a link, from the filters given (empty ones left out). */
function queryOf(values: Record<string, string | number | undefined>): string {
  const q = new URLSearchParams();
  for (const [name, v] of Object.entries(values)) if (v !== undefined && v !== '') q.set(name, String(v));
  const s = q.toString();
  return s ? `?${s}` : '';
}

function verifyBlock(l: Lang, v: VerifyRunView | null): SafeHtml {
  if (!v) return html`<p id="last-verify">${cs(l, 'ver.never')}</p>`;
  return html`<dl id="last-verify">
<dt>${cs(l, 'ver.last')}</dt><dd>${v.ok ? cs(l, 'ver.ok') : html`<strong>${cs(l, 'ver.broken')}</strong>`}</dd>
<dt>${cs(l, 'ver.at')}</dt><dd>${when(v.at)} (${v.source})</dd>
<dt>${cs(l, 'ver.range')}</dt><dd>${String(v.from_seq)}–${String(v.to_seq)} (${String(v.events_checked)})</dd>
${v.first_broken_seq !== null ? html`<dt>${cs(l, 'ver.first_broken')}</dt><dd id="first-broken-seq">${String(v.first_broken_seq)}</dd>` : ''}
${v.first_broken_checkpoint !== null ? html`<dt>${cs(l, 'ver.first_broken_cp')}</dt><dd>${String(v.first_broken_checkpoint)}</dd>` : ''}
${v.kinds.length ? html`<dt>${cs(l, 'ver.kinds')}</dt><dd>${v.kinds.join(', ')}</dd>` : ''}
</dl>`;
}

/** The start page: links to every view, the last verification and the flags at a glance. */
export function homeView(l: Lang, v: VerificationView, flags: ConfigFlag[]): SafeHtml {
  const links: Array<[string, ComplianceKey]> = [
    ['/audit/log', 'home.log'], ['/audit/verification', 'home.verification'], ['/audit/access-review', 'home.access'], ['/audit/retention', 'home.retention'],
    ['/audit/configuration', 'home.configuration'], ['/privacy/requests', 'home.requests'], ['/privacy/breaches', 'home.breaches'], ['/audit/export', 'home.export'],
  ];
  return html`
<h1>${cs(l, 'home.title')}</h1>
<p class="muted">${cs(l, 'home.intro')}</p>
<nav aria-label="${cs(l, 'home.title')}"><ul id="auditor-views">${links.map(([href, key]) => html`<li><a href="${href}">${cs(l, key)}</a></li>`)}</ul></nav>
<p class="muted">${cs(l, 'home.registers_hint')}</p>
<section aria-labelledby="state-h"><h2 id="state-h">${cs(l, 'home.state')}</h2>
${verifyBlock(l, v.last_verify)}
<p>${cs(l, 'ver.total')}: ${String(v.checkpoints_total)} · ${cs(l, 'ver.last_seq')}: ${String(v.last_seq)} · ${v.breaks.length ? html`<strong>${cs(l, 'ver.breaks')}: ${v.breaks.join(', ')}</strong>` : cs(l, 'ver.no_breaks')}</p>
<p>${cs(l, 'home.flags')}: <a href="/audit/configuration">${String(flags.length)}</a></p>
</section>`;
}

/** The audit log with its filter form and keyset paging. */
export function logView(l: Lang, filter: Record<string, string | undefined>, page: EventsPage | null, problem?: string): SafeHtml {
  const f = (n: string) => filter[n] ?? '';
  return html`
${back(l)}
<h1>${cs(l, 'log.title')}</h1>
<p class="muted">${cs(l, 'log.intro')}</p>
<form method="get" action="/audit/log" id="log-filter">
${input('actor', cs(l, 'log.actor'), f('actor'))}${input('subject', cs(l, 'log.subject'), f('subject'))}${input('action', cs(l, 'log.action'), f('action'))}
${input('from', cs(l, 'log.from'), f('from'))}${input('to', cs(l, 'log.to'), f('to'))}
<p><button type="submit">${cs(l, 'log.apply')}</button></p>
</form>
${problemLine(problem)}
${!page ? '' : page.events.length === 0 ? html`<p id="no-events">${cs(l, 'log.none')}</p>` : html`<table class="list" id="events"><thead><tr><th>${cs(l, 'col.seq')}</th><th>${cs(l, 'col.at')}</th><th>${cs(l, 'col.actor')}</th><th>${cs(l, 'col.subject')}</th><th>${cs(l, 'col.action')}</th><th>${cs(l, 'col.object')}</th><th>${cs(l, 'col.payload')}</th><th>${cs(l, 'col.hash')}</th></tr></thead>
<tbody>${page.events.map((e) => html`<tr data-seq="${String(e.seq)}"><td>${String(e.seq)}</td><td>${when(e.at)}</td><td><code>${e.actor_id}</code></td><td><code>${e.subject_id ?? ''}</code></td><td><code>${e.action}</code></td><td>${e.object_type ? html`<code>${e.object_type}:${e.object_id ?? ''}</code>` : ''}</td><td><code>${JSON.stringify(e.payload)}</code>${e.sealed_personal ? html` <em>(${cs(l, 'log.sealed')})</em>` : ''}</td><td><code title="${e.hash}">${e.hash.slice(0, 12)}…</code></td></tr>`)}</tbody></table>`}
<p>${filter.before ? html`<a href="/audit/log${queryOf({ ...filter, before: undefined })}">${cs(l, 'log.first')}</a> ` : ''}${page?.next_before ? html`<a id="next-page" href="/audit/log${queryOf({ ...filter, before: page.next_before })}">${cs(l, 'log.next')} →</a>` : ''}</p>`;
}

/** The last verification and one page of the checkpoint chain. */
export function verificationView(l: Lang, v: VerificationView): SafeHtml {
  return html`
${back(l)}
<h1>${cs(l, 'ver.title')}</h1>
${verifyBlock(l, v.last_verify)}
<h2>${cs(l, 'ver.chain')}</h2>
<p class="muted">${cs(l, 'ver.chain_intro')}</p>
<p>${cs(l, 'ver.total')}: ${String(v.checkpoints_total)} · ${cs(l, 'ver.last_seq')}: ${String(v.last_seq)}</p>
<p id="breaks">${v.breaks.length ? html`<strong>${cs(l, 'ver.breaks')}: ${v.breaks.join(', ')}</strong>` : cs(l, 'ver.no_breaks')}</p>
${v.checkpoints.length === 0 ? html`<p>${cs(l, 'ver.none')}</p>` : html`<table class="list" id="checkpoints"><thead><tr><th>${cs(l, 'col.number')}</th><th>${cs(l, 'col.at')}</th><th>${cs(l, 'col.range')}</th><th>${cs(l, 'col.key')}</th><th>${cs(l, 'col.signature')}</th><th>${cs(l, 'col.linked')}</th><th>${cs(l, 'col.intact')}</th><th>${cs(l, 'col.head')}</th></tr></thead>
<tbody>${v.checkpoints.map((c) => html`<tr data-number="${String(c.number)}"><td>${String(c.number)}</td><td>${when(c.at)}</td><td>${String(c.first_seq)}–${String(c.last_seq)}</td><td><code>${c.key_id}</code></td><td>${c.signature === 'ok' ? cs(l, 'sig.ok') : html`<strong>${cs(l, k(`sig.${c.signature}`))}</strong>`}</td><td>${yesNo(l, c.linked)}</td><td>${yesNo(l, c.intact)}</td><td>${yesNo(l, c.head_matches)}</td></tr>`)}</tbody></table>`}
${v.next_before ? html`<p><a href="/audit/verification?before=${String(v.next_before)}">${cs(l, 'ver.older')} →</a></p>` : ''}`;
}

/** The access review for a period. */
export function accessReviewView(l: Lang, form: { from: string; to: string }, period: ReviewPeriod, rows: AccessReviewRow[]): SafeHtml {
  return html`
${back(l)}
<h1>${cs(l, 'acc.title')}</h1>
<p class="muted">${cs(l, 'acc.intro')}</p>
<form method="get" action="/audit/access-review" id="period">
${input('from', cs(l, 'acc.from'), form.from)}${input('to', cs(l, 'acc.to'), form.to)}
<p><button type="submit">${cs(l, 'acc.show')}</button></p>
</form>
<p>${cs(l, 'acc.period')}: ${when(period.from.toISOString())} – ${when(period.to.toISOString())}</p>
<table class="list" id="access-review"><thead><tr><th>${cs(l, 'col.account')}</th><th>${cs(l, 'col.source')}</th><th>${cs(l, 'col.status')}</th><th>${cs(l, 'col.roles')}</th><th>${cs(l, 'col.last_sign_in')}</th><th>${cs(l, 'col.days_read')}</th><th>${cs(l, 'col.people_read')}</th></tr></thead>
<tbody>${rows.map((r) => html`<tr data-account="${r.account_id}"><td>${r.username}<br><code>${r.account_id}</code></td><td>${r.source}</td><td>${r.status}</td><td><ul>${r.roles.map((x) => html`<li>${x.role}${x.team ? ` (${x.team})` : ''} — ${x.group ? html`<code>${x.group}</code>` : x.source === 'local' ? html`${cs(l, 'acc.local')}: ${x.reason}` : x.reason}</li>`)}</ul></td><td>${r.last_sign_in_at ? when(r.last_sign_in_at) : cs(l, 'acc.never')}</td><td class="num">${String(r.days_of_others_read)}</td><td class="num">${String(r.people_read)}</td></tr>`)}</tbody></table>`;
}

/** The retention state, as the operator console prints it. */
export function retentionView(l: Lang, status: RetentionStatus): SafeHtml {
  return html`
${back(l)}
<h1>${cs(l, 'ret.title')}</h1>
<p class="muted">${cs(l, 'ret.intro')}</p>
<pre id="retention-status">${formatStatus(status).join('\n')}</pre>`;
}

/** The configuration flags. */
export function configurationView(l: Lang, flags: ConfigFlag[]): SafeHtml {
  return html`
${back(l)}
<h1>${cs(l, 'cfg.title')}</h1>
<p class="muted">${cs(l, 'cfg.intro')}</p>
${flags.length === 0 ? html`<p id="no-flags">${cs(l, 'cfg.none')}</p>` : html`<table class="list" id="config-flags"><thead><tr><th>${cs(l, 'col.flag_key')}</th><th>${cs(l, 'col.kind')}</th><th>${cs(l, 'col.setting')}</th><th>${cs(l, 'col.reference')}</th><th>${cs(l, 'col.message')}</th></tr></thead>
<tbody>${flags.map((f) => html`<tr><td><code>${f.key}</code></td><td>${cs(l, k(`kind.${f.kind}`))}</td><td>${f.setting}</td><td>${f.reference}</td><td>${f.message}</td></tr>`)}</tbody></table>`}`;
}
