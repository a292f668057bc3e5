import type { Config } from '../platform/config.js';
import type { Lang } from '../web/i18n.js';
import { privacyFacts, type PrivacyFacts } from './facts.js';
import { tr, type TransparencyKey } from './strings.js';

/**
 * The records of processing (GDPR art. 30(1)) generated from the live configuration:
 * one processing activity (time recording and review) with its points a–g as data,
 * and the same as Markdown for people. The compliance export puts both in its zip.
 */

/** Art. 30(1) a–g as a JSON document. */
export interface RecordsOfProcessing {
  article: 'GDPR art. 30(1)';
  language: Lang;
  activity: string;
  a_controller: {
    controller: { name: string | null; address: string | null; email: string | null };
    dpo: { name: string | null; email: string | null };
  };
  b_purposes: Array<{ id: string; text: string }>;
  c_data_subjects: Array<{ id: string; text: string }>;
  c_personal_data: Array<{ id: string; text: string; retention_categories: string[] }>;
  d_recipients: Array<{ role: string; text: string; granted_by_groups: string[]; second_factor: boolean }>;
  d_recipients_outside: [];
  e_transfers: { third_countries: []; text: string };
  f_retention: Array<{ category: string; name: string; period: string; default: string; counted_from: string; legal_minimum: string | null; ground: string; at_end: string }>;
  g_measures: string[];
  report_threshold_k: number;
  findings: Array<{ key: string; kind: string; setting: string; reference: string }>;
}

/** The art. 32 measures as they stand in this configuration (only what the code enforces). */
export function measures(facts: PrivacyFacts, lang: Lang): string[] {
  const dir = facts.egress.directory.length ? facts.egress.directory.join(', ') : '—';
  return [
    tr(lang, facts.tls ? 'measure.tls_on' : 'measure.tls_off'),
    tr(lang, facts.secondFactorForAll ? 'measure.second_factor_all' : 'measure.second_factor_roles'),
    tr(lang, 'measure.drafts'),
    tr(lang, 'measure.encryption'),
    tr(lang, 'measure.audit'),
    tr(lang, 'measure.retention'),
    tr(lang, facts.acknowledgementRequired ? 'measure.ack_on' : 'measure.ack_off'),
    `${tr(lang, 'measure.egress')} ${tr(lang, 'measure.egress_targets', { directory: dir, mail: facts.egress.mailRelay, db: tr(lang, facts.egress.externalDatabase ? 'db.external' : 'db.embedded') })}`,
  ];
}

/** The records of processing of this configuration, as data. */
export function recordsOfProcessingJson(config: Readonly<Config>, lang: Lang = 'en'): RecordsOfProcessing {
  const f = privacyFacts(config);
  const t = (key: string) => tr(lang, key as TransparencyKey);
  return {
    article: 'GDPR art. 30(1)',
    language: lang,
    activity: t('records.activity'),
    a_controller: { controller: f.controller, dpo: f.dpo },
    b_purposes: f.purposes.map((id) => ({ id, text: t(`purpose.${id}`) })),
    c_data_subjects: f.people.map((id) => ({ id, text: t(`people.${id}`) })),
    c_personal_data: f.data.map((d) => ({ id: d.category, text: t(`data.${d.category}`), retention_categories: d.retention })),
    d_recipients: f.roles.map((r) => ({ role: r.role, text: t(`role.${r.role}`), granted_by_groups: r.groups, second_factor: r.secondFactor })),
    d_recipients_outside: [],
    e_transfers: { third_countries: [], text: t('transfers.none') },
    f_retention: f.retention.map((r) => ({
      category: r.category, name: t(`cat.${r.category}`), period: r.period, default: r.default,
      counted_from: t(`anchor.${r.anchor}`), legal_minimum: r.legalMinimum, ground: r.ground, at_end: r.atEnd,
    })),
    g_measures: measures(f, lang),
    report_threshold_k: f.k,
    findings: [
      ...f.findings.map(({ key, kind, setting, reference }) => ({ key, kind, setting, reference })),
      ...(f.acknowledgementRequired ? [] : [{ key: 'privacy.require_acknowledgement', kind: 'weaker_privacy', setting: 'false', reference: 'true' }]),
    ],
  };
}

const orNone = (v: string | null, lang: Lang) => v ?? `(${tr(lang, 'not_configured')})`;
/** Escapes Markdown table cells (a pipe would split the cell). */
const cell = (v: string) => v.replace(/\|/g, '\\|').replace(/\n/g, ' ');

/** The same record as Markdown, for people (and for the export's zip). */
export function recordsOfProcessingMarkdown(record: RecordsOfProcessing): string {
  const lang = record.language;
  const t = (key: TransparencyKey) => tr(lang, key);
  const a = record.a_controller;
  const lines = [
    `# ${t('records.title')}`, '', `**${record.activity}**`, '',
    `## ${t('records.controller')}`, '',
    `- ${t('controller')}: ${orNone(a.controller.name, lang)}; ${t('address')}: ${orNone(a.controller.address, lang)}; ${t('email')}: ${orNone(a.controller.email, lang)}`,
    `- ${t('dpo')}: ${orNone(a.dpo.name, lang)}; ${t('email')}: ${orNone(a.dpo.email, lang)}`, '',
    `## ${t('records.purposes')}`, '', ...record.b_purposes.map((p) => `- ${p.text}`), '',
    `## ${t('records.people')}`, '', ...record.c_data_subjects.map((p) => `- ${p.text}`), '',
    `## ${t('records.data')}`, '', ...record.c_personal_data.map((p) => `- ${p.text}`), '',
    `## ${t('records.recipients')}`, '', ...record.d_recipients.map((r) => `- ${r.text}`), `- ${t('role.no_one_else')}`, '',
    `## ${t('records.transfers')}`, '', record.e_transfers.text, '',
    `## ${t('records.retention')}`, '',
    `| ${t('ret.category')} | ${t('ret.period')} | ${t('ret.from')} | ${t('ret.minimum')} | ${t('ret.ground')} | ${t('ret.end')} |`,
    '|---|---|---|---|---|---|',
    ...record.f_retention.map((r) => `| ${cell(r.name)} | ${cell(r.period)} (${t('ret.default')}: ${cell(r.default)}) | ${cell(r.counted_from)} | ${r.legal_minimum ?? '—'} | ${cell(r.ground)} | ${cell(r.at_end)} |`),
    '', tr(lang, 'k.text', { k: record.report_threshold_k }), '',
    `## ${t('records.measures')}`, '', ...record.g_measures.map((m) => `- ${m}`), '',
  ];
  if (record.findings.length) lines.push(`## ${t('h.findings')}`, '', ...record.findings.map((x) => `- \`${x.key}\`: ${x.setting} (${x.kind}: ${x.reference})`), '');
  return lines.join('\n');
}

/** The records of processing of this configuration: the JSON document and its Markdown rendering. */
export function recordsOfProcessing(config: Readonly<Config>, lang: Lang = 'en'): { json: RecordsOfProcessing; markdown: string } {
  const json = recordsOfProcessingJson(config, lang);
  return { json, markdown: recordsOfProcessingMarkdown(json) };
}

/** The notice as JSON for every signed-in person: the record's facts without the internal detail (group names, hosts) the pack keeps for its readers. */
export function noticeDocument(config: Readonly<Config>, lang: Lang) {
  const r = recordsOfProcessingJson(config, lang);
  const f = privacyFacts(config);
  return {
    language: lang,
    controller: r.a_controller.controller,
    dpo: r.a_controller.dpo,
    supervisory_authority: f.supervisoryAuthority,
    purposes: r.b_purposes,
    data_subjects: r.c_data_subjects,
    personal_data: r.c_personal_data,
    recipients: r.d_recipients.map(({ role, text, second_factor }) => ({ role, text, second_factor })),
    recipients_outside: [] as [],
    transfers: r.e_transfers,
    retention: r.f_retention,
    report_threshold_k: r.report_threshold_k,
    rights: f.rights.map((x) => ({ right: x.right, text: tr(lang, `right.${x.right}` as TransparencyKey), path: x.path || null })),
  };
}
