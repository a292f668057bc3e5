import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import test from 'ava';
import { startTestApp } from '../helpers/app.js';
import { createTestDatabase } from '../helpers/db.js';
import { GOOD_PASSWORD, signIn } from '../helpers/factories.js';
import { runCli } from '../helpers/cli.js';

test('operator:create makes a local operator from a password file or stdin, refusing weak passwords', async (t) => {
  const db = await createTestDatabase();
  t.teardown(() => db.drop());
  const dir = mkdtempSync(path.join(tmpdir(), 'uurwerk-op-'));
  chmodSync(dir, 0o700);
  const config = path.join(dir, 'config.yaml');
  writeFileSync(config, `data_dir: ${dir}/data\ndatabase:\n  url: ${db.url}\n`);
  const pw = path.join(dir, 'pw');
  writeFileSync(pw, 'granite-meadow-falcon-62\n');

  const weak = await runCli(['operator:create', '--config', config, '--username', 'admin'], { input: 'password1234\n' });
  t.is(weak.code, 2);
  t.regex(weak.stderr, /password: is too common/);

  const ok = await runCli(['operator:create', '--config', config, '--username', 'admin', '--password-file', pw]);
  t.is(ok.code, 0, ok.stderr);
  t.regex(ok.stdout, /created operator account admin/);
  const row = await db.knex('accounts as a').join('role_assignments as r', 'r.account_id', 'a.id').where('a.username', 'admin').first('a.source', 'r.role');
  t.deepEqual(row, { source: 'local', role: 'operator' });
  const cred = await db.knex('local_credentials').first('password_hash');
  t.regex(cred.password_hash, /^\$2[aby]\$12\$/);

  const again = await runCli(['operator:create', '--config', config, '--username', 'ADMIN'], { input: 'granite-meadow-falcon-62\n' });
  t.is(again.code, 1);
  t.regex(again.stderr, /already exists/);
  const audit = await db.knex('audit.events').where('action', 'admin.account.created').first('actor_id');
  t.regex(audit.actor_id, /^cli:/);
});

test('the operator made by operator:create signs in, must enrol a second factor first, then opens the operator page', async (t) => {
  const a = await startTestApp(t);
  const dir = mkdtempSync(path.join(tmpdir(), 'uurwerk-op-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  // The running appliance's database and keyring, as on a real first start.
  const config = path.join(dir, 'config.yaml');
  writeFileSync(config, `data_dir: ${a.config.data_dir}\ndatabase:\n  url: ${a.db.url}\n`);
  const made = await runCli(['operator:create', '--config', config, '--username', 'first-op'], { input: `${GOOD_PASSWORD}\n` });
  t.is(made.code, 0, made.stderr);
  t.regex(made.stdout, /set up the second factor/);

  const half = await signIn(a, { username: 'first-op', password: GOOD_PASSWORD }, 'password-only');
  t.is(half.state, 'totp_enrolment_required');
  const refused = (await half.client.call('GET', '/operator')).status;
  t.true(refused === 401 || refused === 403, `before the second factor: ${refused}`);
  const full = await signIn(a, { username: 'first-op', password: GOOD_PASSWORD });
  t.is(full.state, 'authenticated');
  t.truthy(full.totpSecret);
  t.is((await full.client.call('GET', '/operator')).status, 200);
});
