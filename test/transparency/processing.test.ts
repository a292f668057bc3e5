import test from 'ava';
import { ConfigError, parseConfig } from '../../src/platform/config.js';
import { privacyFacts, privacySettings } from '../../src/transparency/facts.js';
import { recordsOfProcessing } from '../../src/transparency/processing.js';
import { TRANSPARENCY_STRINGS } from '../../src/transparency/strings.js';

const base = parseConfig({});

test('the records of processing follow the configuration: a retention period and k show as configured', (t) => {
  const before = recordsOfProcessing(base);
  t.is(before.json.report_threshold_k, 5);
  t.is(before.json.f_retention.find((r) => r.category === 'raw_capture')?.period, '30 days');
  t.regex(before.markdown, /fewer than 5 different people/);

  const changed = recordsOfProcessing(parseConfig({ retention: { raw_capture: '14 days', submitted_days: '10 years' }, reports: { k: 9 } }));
  t.is(changed.json.report_threshold_k, 9);
  t.is(changed.json.f_retention.find((r) => r.category === 'raw_capture')?.period, '14 days');
  t.regex(changed.markdown, /\| Automatically captured activity \| 14 days \(default: 30 days\)/);
  t.regex(changed.markdown, /fewer than 9 different people/);
  // Ten years for submitted days is longer than the default: named as weaker privacy.
  t.deepEqual(changed.json.findings.map((f) => [f.key, f.kind]), [['retention.submitted_days', 'longer_than_default']]);
  t.notDeepEqual(before.json, changed.json);
});

test('art. 30(1) a-g: controller and privacy officer from privacy.*, recipients inside only, no transfers', (t) => {
  const config = parseConfig({
    ui: { organisation_name: 'Ziekenhuis Oost' },
    privacy: { controller_address: 'Dijk 1, Utrecht', controller_email: 'privacy@zho.example', dpo_name: 'F. Officier', dpo_email: 'fg@zho.example' },
    directory: { urls: ['ldaps://dc1.zho.example'], base_dns: ['DC=zho,DC=example'], roles: { auditor_groups: ['CN=Audit,DC=zho,DC=example'] } },
  });
  const { json, markdown } = recordsOfProcessing(config);
  t.deepEqual(json.a_controller, { controller: { name: 'Ziekenhuis Oost', address: 'Dijk 1, Utrecht', email: 'privacy@zho.example' }, dpo: { name: 'F. Officier', email: 'fg@zho.example' } });
  t.deepEqual(json.d_recipients_outside, []);
  t.deepEqual(json.e_transfers.third_countries, []);
  t.deepEqual(json.d_recipients.find((r) => r.role === 'auditor')?.granted_by_groups, ['CN=Audit,DC=zho,DC=example']);
  t.true(json.d_recipients.find((r) => r.role === 'auditor')?.second_factor);
  t.false(json.d_recipients.find((r) => r.role === 'employee')?.second_factor);
  t.regex(markdown, /F\. Officier/);
  t.regex(markdown, /ldaps:\/\/dc1\.zho\.example/);
  // Unset contacts say so rather than staying blank.
  t.regex(recordsOfProcessing(base).markdown, /Privacy officer \(data protection officer\): \(not configured\)/);
  t.regex(recordsOfProcessing(base, 'nl').markdown, /Functionaris gegevensbescherming: \(niet ingesteld\)/);
});

test('the privacy settings that make a notice version: retention, k, roles, contacts — not ports', (t) => {
  const a = privacySettings(base);
  t.is(a['reports.k'], '5');
  t.is(a['retention.raw_capture'], '30 days');
  t.deepEqual(privacySettings(parseConfig({ server: { port: 9999 }, log: { level: 'warn' } })), a);
  t.not(privacySettings(parseConfig({ privacy: { dpo_email: 'fg@example.org' } }))['privacy.dpo_email'], a['privacy.dpo_email']);
  t.is(privacyFacts(parseConfig({ auth: { totp_required_for_all: true } })).roles.every((r) => r.secondFactor), true);
});

test('a wrong privacy contact is named by its key', (t) => {
  const err = t.throws(() => parseConfig({ privacy: { dpo_email: 'not a mail', controler_name: 'x' } }), { instanceOf: ConfigError }) as ConfigError;
  t.deepEqual(err.problems.map((p) => p.key).sort(), ['privacy.controler_name', 'privacy.dpo_email']);
});

test('the Dutch and English catalogues hold the same keys, none empty', (t) => {
  t.deepEqual(Object.keys(TRANSPARENCY_STRINGS.nl).sort(), Object.keys(TRANSPARENCY_STRINGS.en).sort());
  for (const lang of ['nl', 'en'] as const) t.deepEqual(Object.entries(TRANSPARENCY_STRINGS[lang]).filter(([, v]) => v.trim() === ''), []);
});
