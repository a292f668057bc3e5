import { chainStaged } from '../../src/audit/chainer.js';
import test from 'ava';
import { parseConfig } from '../../src/platform/config.js';
import { ensurePrivacySettingsVersion, privacySettingsHistory } from '../../src/transparency/versions.js';
import { startTestApp } from '../helpers/app.js';

test('settings versions: one per distinct privacy-relevant configuration, also when nodes start together; the history names what changed', async (t) => {
  const a = await startTestApp(t);
  const { knex } = a.db;
  const audit = a.app.services.audit;
  t.deepEqual(await privacySettingsHistory(knex), [], 'nothing is stored before it is needed');

  // Three nodes starting at once with the same file store one version.
  const same = await Promise.all([1, 2, 3].map(() => ensurePrivacySettingsVersion(knex, audit, a.config)));
  t.deepEqual(same.map((v) => v.version), [1, 1, 1]);

  // A port or log level is not privacy-relevant: no new version.
  const raw = JSON.parse(JSON.stringify(a.config)) as Record<string, Record<string, unknown>>;
  t.is((await ensurePrivacySettingsVersion(knex, audit, parseConfig({ ...raw, log: { level: 'warn' } }))).version, 1);

  const changed = parseConfig({ ...raw, retention: { ...raw.retention, drafts: '6 months' }, privacy: { ...raw.privacy, dpo_email: 'fg@example.org' } });
  const v2 = await ensurePrivacySettingsVersion(knex, audit, changed);
  t.is(v2.version, 2);
  t.deepEqual(v2.changed, ['privacy.dpo_email', 'retention.drafts']);

  const history = await privacySettingsHistory(knex);
  t.deepEqual(history.map((v) => v.version), [1, 2]);
  t.is(history[0]!.settings['retention.drafts'], '12 months');
  t.is(history[1]!.settings['retention.drafts'], '6 months');
  t.true(history[0]!.changed.includes('reports.k'), 'the first version lists every key');
  // Audited with the keys only: the officer's mail address stays out of the log.
  await chainStaged(knex); // chain what the calls before staged, as a request's answer would have waited for
  const events = await knex('audit.events').where({ action: 'transparency.settings.versioned' }).orderBy('seq').select('payload');
  t.is(events.length, 2);
  t.false(JSON.stringify(events).includes('fg@example.org'));
});
