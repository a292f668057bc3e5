import { writeFileSync } from 'node:fs';
import path from 'node:path';
import test from 'ava';
import { createCheckpoint } from '../../src/audit/checkpoints.js';
import type { ConfigFlag, VerificationView } from '../../src/compliance/schema.js';
import { startTestApp } from '../helpers/app.js';
import { runCli } from '../helpers/cli.js';
import { buildAuditor } from '../helpers/factories.js';
import { tamper } from '../audit/helpers.js';

const env = { UURWERK_CONFIG: '' };

test('the verification state: each audit:verify run is stored and shown (ok, then broken with the first broken seq), each checkpoint is checked now', async (t) => {
  const a = await startTestApp(t);
  const auditor = await buildAuditor(a);
  const keyring = a.app.services.keyring;
  const config = path.join(a.config.data_dir, 'cli.yaml');
  writeFileSync(config, `data_dir: ${a.config.data_dir}\ndatabase:\n  url: ${a.db.url}\nlog:\n  level: warn\n`);
  const state = async () => (await auditor.client.json<VerificationView>('GET', '/api/v1/audit/verification')).body;

  const empty = await state();
  t.is(empty.last_verify, null, 'no run recorded yet');
  t.deepEqual(empty.checkpoints, []);
  t.regex(await (await auditor.client.call('GET', '/audit/verification', undefined, { accept: 'text/html' })).text(), /uurwerk audit:verify/, 'the page says how a run is made');

  await createCheckpoint(a.db.knex, keyring);
  await auditor.client.json('GET', '/api/v1/audit/events'); // more events, for a second checkpoint
  await createCheckpoint(a.db.knex, keyring);
  const ok = await runCli(['audit:verify', '--config', config], { env });
  t.is(ok.code, 0, ok.stdout + ok.stderr);

  const good = await state();
  t.like(good.last_verify, { ok: true, source: 'cli', from_seq: 1, problems: 0, first_broken_seq: null, kinds: [] });
  t.true(good.last_verify!.events_checked > 5);
  t.deepEqual(good.checkpoints.map((c) => c.number), [2, 1], 'newest first');
  t.true(good.checkpoints.every((c) => c.signature === 'ok' && c.linked && c.intact && c.head_matches === true));
  t.deepEqual(good.breaks, []);
  t.is(good.checkpoints_total, 2);

  // An attacker with database rights swaps checkpoint 1's signature and edits event 3.
  const other = (await a.db.knex('audit.checkpoints').where({ number: 2 }).first('signature')) as { signature: string };
  await tamper(a.db.knex, 'UPDATE audit.checkpoints SET signature = ? WHERE number = 1', [other.signature]);
  await tamper(a.db.knex, `UPDATE audit.events SET payload = '{"edited": true}' WHERE seq = 3`);
  const now = await state();
  t.deepEqual(now.breaks, [1], 'the page checks the chain now, not only at the last run');
  t.is(now.checkpoints.find((c) => c.number === 1)!.signature, 'bad');
  t.true(now.last_verify!.ok, 'until verify runs again, the last run is the last run');

  const bad = await runCli(['audit:verify', '--config', config], { env });
  t.is(bad.code, 1);
  const broken = await state();
  t.like(broken.last_verify, { ok: false, first_broken_seq: 3, first_broken_checkpoint: 1 });
  t.true(broken.last_verify!.kinds.includes('edited') && broken.last_verify!.kinds.includes('checkpoint-signature'), broken.last_verify!.kinds.join());
  const page = await (await auditor.client.call('GET', '/audit/verification', undefined, { accept: 'text/html' })).text();
  t.regex(page, /BROKEN/);
  t.regex(page, /<dd id="first-broken-seq">3<\/dd>/);
  t.regex(page, /<tr data-number="1">.*(INVALID|ONGELDIG)/);
  t.false(JSON.stringify(await a.db.knex('compliance_verify_runs')).includes('content does not match'), 'messages are not stored, only kinds and places');
});

test('configuration flags: retention below a legal minimum or longer than default, and privacy-weakening settings — never a secret', async (t) => {
  const a = await startTestApp(t, {
    retention: { leavers: '3 years' },
    auth: { session_idle_minutes: 240 },
    mail: { tls: 'none', username: 'smtp-user-7' },
  });
  const auditor = await buildAuditor(a);
  const r = await auditor.client.json<{ flags: ConfigFlag[] }>('GET', '/api/v1/audit/configuration');
  t.is(r.status, 200);
  const byKey = new Map(r.body.flags.map((f) => [f.key, f]));
  t.like(byKey.get('retention.leavers'), { kind: 'longer_than_default', setting: '3 years' });
  t.like(byKey.get('auth.session_idle_minutes'), { kind: 'privacy_weakening', setting: '240', reference: '30' });
  t.like(byKey.get('mail.tls'), { kind: 'privacy_weakening', setting: 'none' });
  t.false(byKey.has('server.tls'), 'loopback without TLS is not flagged');
  const page = await (await auditor.client.call('GET', '/audit/configuration', undefined, { accept: 'text/html' })).text();
  t.regex(page, /retention\.leavers/);
  t.false(page.includes('smtp-user-7') || JSON.stringify(r.body).includes('smtp-user-7') || page.includes(a.db.url), 'no secret, no database URL');

  const plain = await startTestApp(t);
  const auditor2 = await buildAuditor(plain);
  t.deepEqual((await auditor2.client.json<{ flags: ConfigFlag[] }>('GET', '/api/v1/audit/configuration')).body.flags, [], 'the defaults raise no flag');
  t.regex(await (await auditor2.client.call('GET', '/audit/configuration', undefined, { accept: 'text/html' })).text(), /id="no-flags"/);
});
