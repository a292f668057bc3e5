/**
 * The people, team and role commands from the command line: each mistake names its
 * option, each change lands in the database and the audit log.
 */
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import test from 'ava';
import { createTestDatabase } from '../helpers/db.js';
import { runCli } from '../helpers/cli.js';
import { GOOD_PASSWORD } from '../helpers/factories.js';

test('user:*, team:* and role:* commands: clear errors naming the option, changes audited', async (t) => {
  t.timeout(480_000); // each command is a fresh node process (about 10 s on a loaded machine)
  const db = await createTestDatabase();
  t.teardown(() => db.drop());
  const dir = mkdtempSync(path.join(tmpdir(), 'uurwerk-people-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  chmodSync(dir, 0o700);
  const config = path.join(dir, 'config.yaml');
  writeFileSync(config, `data_dir: ${dir}/data\ndatabase:\n  url: ${db.url}\n`);
  const pw = path.join(dir, 'pw');
  writeFileSync(pw, `${GOOD_PASSWORD}\n`);
  const cli = (...args: string[]) => runCli([...args, '--config', config]);

  t.is((await cli('team:create', '--name', 'harbour')).code, 0);
  const badTeam = await cli('team:create', '--name', ' bad');
  t.is(badTeam.code, 2);
  t.regex(badTeam.stderr, /--name: /);
  const bad = await cli('user:create', '--username', 'dave', '--role', 'boss', '--admin-of', 'nope');
  t.is(bad.code, 2);
  t.regex(bad.stderr, /--email: needed for the set-password mail/);
  t.regex(bad.stderr, /--role: unknown role "boss"/);
  t.regex(bad.stderr, /--admin-of: no team named "nope"/);

  const bob = await cli('user:create', '--username', 'bob', '--email', 'bob@example.test', '--team', 'harbour', '--role', 'employee,reports');
  t.is(bob.code, 0, bob.stderr);
  t.regex(bob.stdout, /created local account bob .*set-password link was mailed/);
  const carol = await cli('user:create', '--username', 'carol', '--password-file', pw, '--admin-of', 'harbour');
  t.is(carol.code, 0, carol.stderr);
  t.is((await cli('role:grant', '--username', 'bob', '--role', 'auditor')).code, 0);
  const nobody = await cli('role:grant', '--username', 'nobody', '--role', 'auditor');
  t.is(nobody.code, 1);
  t.regex(nobody.stderr, /--username: no local account named nobody/);
  const list = await cli('team:list');
  t.regex(list.stdout, /^harbour\tlocal\t1 member\(s\)\t1 admin\(s\)$/m);
  t.is((await cli('user:update', '--username', 'bob', '--display-name', 'Bob B')).code, 0);
  const off = await cli('user:deactivate', '--username', 'bob');
  t.is(off.code, 0, off.stderr);

  const rows = await db.knex('accounts').where({ source: 'local' }).orderBy('username').select('username', 'display_name', 'status');
  t.deepEqual(rows, [{ username: 'bob', display_name: 'Bob B', status: 'disabled' }, { username: 'carol', display_name: 'carol', status: 'active' }]);
  const roles = await db.knex('role_assignments as r').join('accounts as a', 'a.id', 'r.account_id').orderBy(['a.username', 'r.role']).select('a.username', 'r.role', 'r.team', 'r.reason');
  t.deepEqual(roles.map((r) => `${r.username}:${r.role}:${r.team}`), ['bob:auditor:', 'bob:employee:', 'bob:reports:', 'carol:employee:', 'carol:team_admin:harbour']);
  t.true(roles.every((r) => /^granted by cli:/.test(r.reason)));
  const actions = ((await db.knex('audit.events').where('action', 'like', 'admin.%').select('action')) as Array<{ action: string }>).map((r) => r.action);
  for (const a of ['admin.team.created', 'admin.account.created', 'admin.role.granted', 'admin.team.member_added', 'admin.account.updated', 'admin.account.deactivated', 'admin.account.set_password_mailed']) t.true(actions.includes(a), a);
});
