import { html, type SafeHtml } from '../web/html.js';
import type { Lang } from '../web/i18n.js';
import { AUTHORITY_STATES, BREACH_STATUSES, CHANNELS, DECISIONS, INFORMED_STATES, REQUEST_KINDS, SELF_SERVICE_KINDS, type BreachView, type MyRequestView, type RequestView } from './schema.js';
import { p, type PrivacyKey } from './strings.js';

/**
 * The privacy pages' markup: plain tables and forms (native controls, labels tied to
 * fields, so they work with the keyboard and a screen reader). Every form posts back
 * with the session's CSRF token.
 */

const k = (key: string) => key as PrivacyKey;
const when = (iso: string | null) => (iso ? `${iso.slice(0, 16).replace('T', ' ')} UTC` : '');

function csrfField(csrf: string): SafeHtml {
  return html`<input type="hidden" name="_csrf" value="${csrf}">`;
}

/** A problem or a success line above the content. */
export function notice(problem?: string, ok?: string): SafeHtml {
  return html`${problem ? html`<p class="error" role="alert">${problem}</p>` : ''}${ok ? html`<p class="ok" role="status">${ok}</p>` : ''}`;
}

function select(l: Lang, name: string, label: string, values: readonly string[], prefix: string, selected?: string): SafeHtml {
  return html`<p><label for="${name}">${label}</label><br><select id="${name}" name="${name}">${values.map((v) => html`<option value="${v}"${v === selected ? html` selected` : ''}>${p(l, k(`${prefix}.${v}`))}</option>`)}</select></p>`;
}

const input = (name: string, label: string, type = 'text', value = '') => html`<p><label for="${name}">${label}</label><br><input id="${name}" name="${name}" type="${type}" value="${value}"></p>`;
const area = (name: string, label: string) => html`<p><label for="${name}">${label}</label><br><textarea id="${name}" name="${name}" rows="3" cols="60"></textarea></p>`;

/** "My requests": the form and the person's own requests. */
export function myRequestsView(l: Lang, csrf: string, requests: MyRequestView[]): SafeHtml {
  return html`
<h1>${p(l, 'my.title')}</h1>
<p>${p(l, 'my.intro')}</p>
<form method="post" action="/privacy/my-requests">${csrfField(csrf)}
${select(l, 'kind', p(l, 'my.kind'), SELF_SERVICE_KINDS, 'kind')}
${area('text', p(l, 'my.text'))}
<p><button type="submit">${p(l, 'my.submit')}</button></p>
</form>
${requests.length
  ? html`<table class="list" id="my-requests"><thead><tr><th>${p(l, 'col.number')}</th><th>${p(l, 'col.kind')}</th><th>${p(l, 'col.received')}</th><th>${p(l, 'col.deadline')}</th><th>${p(l, 'col.status')}</th><th>${p(l, 'col.decision')}</th><th>${p(l, 'col.ground')}</th></tr></thead>
<tbody>${requests.map((r) => html`<tr><td>${String(r.number)}</td><td>${p(l, k(`kind.${r.kind}`))}</td><td>${when(r.received_at)}</td><td>${r.deadlines.effective}</td><td>${p(l, k(`status.${r.status}`))}</td><td>${r.decision ? p(l, k(`decision.${r.decision}`)) : ''}</td><td>${r.ground ?? ''}</td></tr>`)}</tbody></table>`
  : html`<p>${p(l, 'my.none')}</p>`}`;
}

function registerNav(l: Lang): SafeHtml {
  return html`<nav aria-label="${p(l, 'req.title')}"><p><a href="/privacy/requests">${p(l, 'nav.requests')}</a> · <a href="/privacy/breaches">${p(l, 'nav.breaches')}</a></p></nav>`;
}

/** The request register: deadlines at a glance, overdue first. */
export function requestRegisterView(l: Lang, csrf: string, requests: RequestView[], keeper: boolean): SafeHtml {
  return html`
${registerNav(l)}
<h1>${p(l, 'req.title')}</h1>
<p>${p(l, 'req.intro')}</p>
${keeper ? '' : html`<p class="muted">${p(l, 'req.readonly')}</p>`}
${requests.length
  ? html`<table class="list" id="requests"><thead><tr><th>${p(l, 'col.number')}</th><th>${p(l, 'col.person')}</th><th>${p(l, 'col.kind')}</th><th>${p(l, 'col.received')}</th><th>${p(l, 'col.deadline')}</th><th>${p(l, 'req.internal')}</th><th>${p(l, 'col.left')}</th><th>${p(l, 'col.status')}</th></tr></thead>
<tbody>${requests.map((r) => html`<tr${r.overdue ? html` class="overdue"` : ''}><td><a href="/privacy/requests/${r.id}">${String(r.number)}</a></td><td>${r.subject_name ?? r.subject_reference ?? ''}</td><td>${p(l, k(`kind.${r.kind}`))}</td><td>${r.received_on}</td><td>${r.deadlines.effective}</td><td>${r.deadlines.internal}</td><td>${r.status === 'closed' ? '' : r.overdue ? html`<strong>${p(l, 'overdue')} (${String(r.days_left)})</strong>` : String(r.days_left)}</td><td>${p(l, k(`status.${r.status}`))}</td></tr>`)}</tbody></table>`
  : html`<p>${p(l, 'req.none')}</p>`}
${keeper ? html`<h2>${p(l, 'req.record')}</h2>
<form method="post" action="/privacy/requests">${csrfField(csrf)}
${input('subject_id', p(l, 'req.subject_id'))}${input('subject_reference', p(l, 'req.reference'))}
${select(l, 'kind', p(l, 'col.kind'), REQUEST_KINDS, 'kind')}${select(l, 'channel', p(l, 'req.channel'), CHANNELS.filter((c) => c !== 'self_service'), 'channel')}
${input('received_at', p(l, 'req.received_at'))}${area('text', p(l, 'req.text'))}${area('identity_note', p(l, 'req.identity'))}
<p><button type="submit">${p(l, 'save')}</button></p></form>` : ''}`;
}

/** One request, with the privacy officer's forms while it is not closed. */
export function requestDetailView(l: Lang, csrf: string, r: RequestView, keeper: boolean): SafeHtml {
  const row = (label: string, value: SafeHtml | string | null) => html`<tr><th scope="row">${label}</th><td>${value ?? ''}</td></tr>`;
  const form = (action: string, fields: SafeHtml, button: string) => html`<form method="post" action="/privacy/requests/${r.id}/${action}">${csrfField(csrf)}${fields}<p><button type="submit">${button}</button></p></form>`;
  return html`
${registerNav(l)}
<h1>${p(l, 'req.detail')} ${String(r.number)}</h1>
<table class="list" id="request"><tbody>
${row(p(l, 'col.person'), r.subject_name ?? r.subject_reference)}${row(p(l, 'col.kind'), p(l, k(`kind.${r.kind}`)))}${row(p(l, 'req.channel'), p(l, k(`channel.${r.channel}`)))}
${row(p(l, 'col.received'), when(r.received_at))}${row(p(l, 'req.text'), r.text)}${row(p(l, 'req.identity'), r.identity_checked_at ? `${when(r.identity_checked_at)}: ${r.identity_note ?? ''}` : '')}
${row(p(l, 'col.deadline'), r.overdue ? html`<strong>${r.deadlines.effective} (${p(l, 'overdue')})</strong>` : r.deadlines.effective)}${row(p(l, 'req.internal'), r.deadlines.internal)}
${row(p(l, 'req.extended'), r.extended_at ? `${r.deadlines.extended}: ${r.extension_reason ?? ''}` : '')}
${row(p(l, 'col.status'), p(l, k(`status.${r.status}`)))}${row(p(l, 'col.decision'), r.decision ? p(l, k(`decision.${r.decision}`)) : '')}${row(p(l, 'col.ground'), r.ground)}
${row(p(l, 'col.execution'), r.execution ? p(l, k(`execution.${r.execution}`)) : '')}${row(p(l, 'col.actions'), r.actions)}${row(p(l, 'req.told_at'), when(r.told_at))}
</tbody></table>
${keeper && r.status !== 'closed' ? html`
<h2>${p(l, 'req.identity')}</h2>${form('identity-check', area('note', p(l, 'req.identity')), p(l, 'req.identity_submit'))}
${r.extended_at ? '' : html`<h2>${p(l, 'req.extend')}</h2>${form('extension', area('reason', p(l, 'req.reason')), p(l, 'req.extend'))}`}
${r.status === 'open' ? html`<h2>${p(l, 'req.decide')}</h2>${form('decision', html`${select(l, 'decision', p(l, 'col.decision'), DECISIONS, 'decision')}${area('ground', p(l, 'col.ground'))}${area('actions', p(l, 'col.actions'))}`, p(l, 'req.decide'))}` : ''}
${r.status === 'decided' ? html`<h2>${p(l, 'req.told')}</h2>${form('told', area('actions', p(l, 'col.actions')), p(l, 'req.told'))}` : ''}` : ''}`;
}

const breachHead = (l: Lang) => html`<th>${p(l, 'col.status')}</th><th>${p(l, 'br.aware')}</th><th>${p(l, 'br.internal_due')}</th><th>${p(l, 'br.authority_due')}</th><th>${p(l, 'br.authority')}</th><th>${p(l, 'br.informed')}</th>`;
const breachCells = (l: Lang, b: BreachView) =>
  html`<td>${p(l, k(`bstatus.${b.status}`))}</td><td>${when(b.aware_at)}</td><td>${b.internal_notice_at ? when(b.internal_notice_at) : b.clocks.internal_overdue ? html`<strong>${when(b.clocks.internal_due)} (${p(l, 'overdue')})</strong>` : when(b.clocks.internal_due)}</td><td>${b.clocks.authority_overdue ? html`<strong>${when(b.clocks.authority_due)} (${p(l, 'overdue')})</strong>` : when(b.clocks.authority_due)}</td><td>${p(l, k(`auth.${b.authority}`))}</td><td>${p(l, k(`inf.${b.people_informed}`))}</td>`;

/** The fields of a breach form (new entry or amendment). */
function breachFields(l: Lang, current?: BreachView): SafeHtml {
  const amendment = current !== undefined;
  return html`${select(l, 'status', p(l, 'col.status'), BREACH_STATUSES, 'bstatus', current?.status)}
${amendment ? '' : html`${input('detected_at', `${p(l, 'br.detected')} (ISO)`)}${input('aware_at', `${p(l, 'br.aware')} (ISO)`)}${area('what_happened', p(l, 'br.what'))}${input('data_categories', p(l, 'br.categories'))}`}
${input('people_count', p(l, 'br.people'), 'number')}${input('records_count', p(l, 'br.records'), 'number')}${area('consequences', p(l, 'br.consequences'))}${area('measures', p(l, 'br.measures'))}
${select(l, 'authority', p(l, 'br.authority'), AUTHORITY_STATES, 'auth', current?.authority)}${input('authority_at', p(l, 'br.when'))}${area('authority_reason', p(l, 'br.reason'))}
${select(l, 'people_informed', p(l, 'br.informed'), INFORMED_STATES, 'inf', current?.people_informed)}${input('people_informed_at', p(l, 'br.when'))}${area('people_informed_reason', p(l, 'br.reason'))}
${amendment ? area('note', p(l, 'br.note')) : ''}`;
}

/** The breach register: open breaches whose 72 hours run out first at the top. */
export function breachRegisterView(l: Lang, csrf: string, breaches: BreachView[], keeper: boolean): SafeHtml {
  return html`
${registerNav(l)}
<h1>${p(l, 'br.title')}</h1>
<p>${p(l, 'br.intro')}</p>
${keeper ? '' : html`<p class="muted">${p(l, 'req.readonly')}</p>`}
${breaches.length
  ? html`<table class="list" id="breaches"><thead><tr><th>${p(l, 'col.number')}</th>${breachHead(l)}<th>${p(l, 'br.categories')}</th></tr></thead>
<tbody>${breaches.map((b) => html`<tr${b.clocks.authority_overdue ? html` class="overdue"` : ''}><td><a href="/privacy/breaches/${b.id}">${String(b.number)}</a></td>${breachCells(l, b)}<td>${b.data_categories}</td></tr>`)}</tbody></table>`
  : html`<p>${p(l, 'br.none')}</p>`}
${keeper ? html`<h2>${p(l, 'br.record')}</h2><form method="post" action="/privacy/breaches">${csrfField(csrf)}${breachFields(l)}<p><button type="submit">${p(l, 'save')}</button></p></form>` : ''}`;
}

/** One breach with every version, and the amendment form for the privacy officer. */
export function breachDetailView(l: Lang, csrf: string, b: BreachView, keeper: boolean): SafeHtml {
  return html`
${registerNav(l)}
<h1>${p(l, 'br.title')}: ${String(b.number)}</h1>
<table class="list" id="breach"><thead><tr>${breachHead(l)}</tr></thead><tbody><tr>${breachCells(l, b)}</tr></tbody></table>
<h2>${p(l, 'br.history')}</h2>
${(b.history ?? []).map((v) => html`<section aria-label="${p(l, 'br.version')} ${String(v.version)}"><h3>${p(l, 'br.version')} ${String(v.version)} · ${when(v.recorded_at)}</h3>
<dl><dt>${p(l, 'br.what')}</dt><dd>${v.what_happened}</dd><dt>${p(l, 'br.categories')}</dt><dd>${v.data_categories}</dd>
<dt>${p(l, 'br.people')} / ${p(l, 'br.records')}</dt><dd>${v.people_count === null ? '?' : String(v.people_count)} / ${v.records_count === null ? '?' : String(v.records_count)}</dd>
<dt>${p(l, 'br.consequences')}</dt><dd>${v.consequences}</dd><dt>${p(l, 'br.measures')}</dt><dd>${v.measures}</dd>
<dt>${p(l, 'br.authority')}</dt><dd>${p(l, k(`auth.${v.authority}`))} ${when(v.authority_at)} ${v.authority_reason ?? ''}</dd>
<dt>${p(l, 'br.informed')}</dt><dd>${p(l, k(`inf.${v.people_informed}`))} ${when(v.people_informed_at)} ${v.people_informed_reason ?? ''}</dd>
${v.note ? html`<dt>${p(l, 'br.note')}</dt><dd>${v.note}</dd>` : ''}</dl></section>`)}
${keeper ? html`<h2>${p(l, 'br.amend')}</h2><form method="post" action="/privacy/breaches/${b.id}/amendments">${csrfField(csrf)}${breachFields(l, b)}<p><button type="submit">${p(l, 'save')}</button></p></form>` : ''}`;
}
