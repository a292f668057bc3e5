import { html, type SafeHtml } from '../web/html.js';
import type { Lang } from '../web/i18n.js';
import type { PrivacyFacts, RoleGrant } from './facts.js';
import { measures } from './processing.js';
import { tr, type TransparencyKey } from './strings.js';
import type { SettingsVersion } from './versions.js';

/**
 * The notice, the confidentiality statement and the works-council pack as HTML, all
 * from the facts. No script and no inline style (CSP); the pack's print layout comes
 * from /static/transparency.css.
 */

const k = (lang: Lang, key: string) => tr(lang, key as TransparencyKey);
const orNone = (lang: Lang, v: string | null) => v ?? html`<em>${tr(lang, 'not_configured')}</em>`;
const mailLink = (lang: Lang, v: string | null) => (v ? html`<a href="mailto:${v}">${v}</a>` : orNone(lang, v));
const date = (iso: string) => iso.slice(0, 10);

/** The parts shared by notice and pack: who, why, what, who sees what, k, retention, rights. */
export function factsSections(lang: Lang, f: PrivacyFacts): SafeHtml {
  return html`
<section aria-labelledby="h-controller"><h2 id="h-controller">${tr(lang, 'h.controller')}</h2>
<dl class="facts">
  <dt>${tr(lang, 'controller')}</dt><dd>${f.controller.name}${f.controller.address ? html`, ${f.controller.address}` : ''} — ${mailLink(lang, f.controller.email)}</dd>
  <dt>${tr(lang, 'dpo')}</dt><dd>${orNone(lang, f.dpo.name)} — ${mailLink(lang, f.dpo.email)}</dd>
  <dt>${tr(lang, 'authority')}</dt><dd>${f.supervisoryAuthority}</dd>
</dl></section>
<section aria-labelledby="h-purposes"><h2 id="h-purposes">${tr(lang, 'h.purposes')}</h2>
<ul>${f.purposes.map((p) => html`<li>${k(lang, `purpose.${p}`)}</li>`)}</ul></section>
<section aria-labelledby="h-data"><h2 id="h-data">${tr(lang, 'h.data')}</h2>
<p>${tr(lang, 'h.people')}:</p>
<ul>${f.people.map((p) => html`<li>${k(lang, `people.${p}`)}</li>`)}</ul>
<ul>${f.data.map((d) => html`<li>${k(lang, `data.${d.category}`)}</li>`)}</ul></section>
<section aria-labelledby="h-recipients"><h2 id="h-recipients">${tr(lang, 'h.recipients')}</h2>
<ul>${f.roles.map((r) => html`<li>${k(lang, `role.${r.role}`)}</li>`)}</ul>
<p>${tr(lang, 'role.no_one_else')}</p>
<h3>${tr(lang, 'h.transfers')}</h3><p>${tr(lang, 'transfers.none')}</p>
<h3>${tr(lang, 'h.k')}</h3><p class="k-rule">${tr(lang, 'k.text', { k: f.k })}</p></section>
<section aria-labelledby="h-retention"><h2 id="h-retention">${tr(lang, 'h.retention')}</h2>
<table class="retention"><thead><tr><th scope="col">${tr(lang, 'ret.category')}</th><th scope="col">${tr(lang, 'ret.period')}</th><th scope="col">${tr(lang, 'ret.from')}</th><th scope="col">${tr(lang, 'ret.minimum')}</th></tr></thead>
<tbody>${f.retention.map((r) => html`<tr data-category="${r.category}"><th scope="row">${k(lang, `cat.${r.category}`)}</th><td>${r.period}${r.period === r.default ? '' : html` <small>(${tr(lang, 'ret.default')}: ${r.default})</small>`}</td><td>${k(lang, `anchor.${r.anchor}`)}</td><td>${r.legalMinimum ?? '—'}</td></tr>`)}</tbody></table></section>
<section aria-labelledby="h-rights"><h2 id="h-rights">${tr(lang, 'h.rights')}</h2>
<ul>${f.rights.map((r) => html`<li>${r.path ? html`<a href="${r.path}">${k(lang, `right.${r.right}`)}</a>` : html`${k(lang, `right.${r.right}`)}: ${f.supervisoryAuthority}`}</li>`)}</ul>
<p>${tr(lang, 'rights.deadline')}</p></section>`;
}

/** The notice page's body: version, the facts, and the form to confirm it when still needed. */
export function noticeView(lang: Lang, f: PrivacyFacts, v: SettingsVersion, state: { acknowledgedAt?: Date; csrf: string; returnTo?: string }): SafeHtml {
  const form = state.acknowledgedAt
    ? html`<p class="notice">${tr(lang, 'notice.acked')} ${state.acknowledgedAt.toISOString().slice(0, 16).replace('T', ' ')} UTC.</p>`
    : html`<p class="notice" role="status">${tr(lang, 'notice.ack_needed')}</p>`;
  const ack = state.acknowledgedAt
    ? html``
    : html`<form method="post" action="/privacy/notice" class="ack">
<input type="hidden" name="_csrf" value="${state.csrf}">
<input type="hidden" name="version" value="${v.version}">
${state.returnTo ? html`<input type="hidden" name="return" value="${state.returnTo}">` : ''}
<button type="submit">${tr(lang, 'notice.ack_button')}</button></form>`;
  return html`<h1>${tr(lang, 'notice.title')}</h1>
<p class="muted">${tr(lang, 'notice.version')} <span class="notice-version">${v.version}</span>, ${tr(lang, 'notice.since')} ${date(v.at)} · <a href="/api/v1/privacy/notice">${tr(lang, 'notice.json')}</a></p>
${form}
<p>${tr(lang, 'notice.intro')}</p>
${factsSections(lang, f)}
${ack}`;
}

/** The confidentiality statement with its form. */
export function confidentialityView(lang: Lang, version: number, csrf: string, returnTo?: string): SafeHtml {
  return html`<h1>${tr(lang, 'conf.title')}</h1>
<p class="muted">${tr(lang, 'conf.version')} ${version}</p>
<p>${tr(lang, 'conf.text1')}</p><p>${tr(lang, 'conf.text2')}</p><p>${tr(lang, 'conf.text3')}</p>
<form method="post" action="/privacy/confidentiality">
<input type="hidden" name="_csrf" value="${csrf}">
${returnTo ? html`<input type="hidden" name="return" value="${returnTo}">` : ''}
<button type="submit">${tr(lang, 'conf.button')}</button></form>`;
}

function roleRow(lang: Lang, r: RoleGrant): SafeHtml {
  const groups = r.groups.length ? html`${tr(lang, 'role.groups')}: ${r.groups.map((g, i) => html`${i ? '; ' : ''}<code>${g}</code>`)}` : tr(lang, 'role.local');
  const teams = r.teams?.length
    ? html`<ul>${r.teams.map((t) => html`<li>${tr(lang, 'role.team')} ${t.name}: ${t.adminGroups.join('; ')} → ${tr(lang, 'role.scope')}: ${t.scope}</li>`)}</ul>`
    : '';
  return html`<tr data-role="${r.role}"><th scope="row"><code>${r.role}</code></th><td>${groups}${teams}</td><td>${tr(lang, r.secondFactor ? 'role.second_factor' : 'role.second_factor_optional')}</td></tr>`;
}

/** The change history table (oldest first, as stored). */
export function historyTable(lang: Lang, history: SettingsVersion[]): SafeHtml {
  if (!history.length) return html`<p>${tr(lang, 'history.none')}</p>`;
  return html`<table class="history"><thead><tr><th scope="col">${tr(lang, 'history.version')}</th><th scope="col">${tr(lang, 'history.at')}</th><th scope="col">${tr(lang, 'history.changed')}</th></tr></thead>
<tbody>${history.map((v, i) => html`<tr data-version="${v.version}"><td>${v.version}</td><td>${v.at.slice(0, 16).replace('T', ' ')} UTC</td><td>${i === 0
    ? tr(lang, 'history.first')
    : html`<ul>${v.changed.map((key) => html`<li><code>${key}</code>: ${history[i - 1]!.settings[key] ?? '—'} → ${v.settings[key] ?? '—'}</li>`)}</ul>`}</td></tr>`)}</tbody></table>`;
}

/** The works-council pack's body: the notice's facts plus roles, measures, findings and history. */
export function packView(lang: Lang, f: PrivacyFacts, history: SettingsVersion[], generatedAt: Date): SafeHtml {
  return html`<article class="pack">
<h1>${tr(lang, 'pack.title')} — ${f.controller.name}</h1>
<p class="muted">${tr(lang, 'pack.generated')} ${generatedAt.toISOString().slice(0, 16).replace('T', ' ')} UTC · ${tr(lang, 'notice.version')} ${history.at(-1)?.version ?? '—'}</p>
<p>${tr(lang, 'pack.intro')}</p>
<dl class="facts"><dt>${tr(lang, 'works_council')}</dt><dd>${orNone(lang, f.worksCouncil.name)} — ${mailLink(lang, f.worksCouncil.email)}</dd></dl>
${factsSections(lang, f)}
<section aria-labelledby="h-roles"><h2 id="h-roles">${tr(lang, 'h.roles')}</h2>
<table class="roles"><tbody>${f.roles.map((r) => roleRow(lang, r))}</tbody></table></section>
<section aria-labelledby="h-measures"><h2 id="h-measures">${tr(lang, 'h.measures')}</h2>
<ul>${measures(f, lang).map((m) => html`<li>${m}</li>`)}</ul>
${f.findings.length || !f.acknowledgementRequired
    ? html`<h3>${tr(lang, 'h.findings')}</h3><ul class="findings">${f.findings.map((x) => html`<li><code>${x.key}</code>: ${x.setting}, ${tr(lang, `finding.${x.kind}`, { reference: x.reference })}</li>`)}${f.acknowledgementRequired ? '' : html`<li><code>privacy.require_acknowledgement</code>: ${tr(lang, 'measure.ack_off')}</li>`}</ul>`
    : ''}</section>
<section aria-labelledby="h-history"><h2 id="h-history">${tr(lang, 'h.history')}</h2>
${historyTable(lang, history)}</section>
</article>`;
}
