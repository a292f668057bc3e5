import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import test from 'ava';
import { backupDatabase, findPgTools } from '../../src/ops/backup.js';
import { createKnex } from '../../src/platform/db.js';
import { inWall, listDays } from '../../src/timesheets/repository.js';
import { daysAgo, person, timesheetApp } from './helpers.js';

/**
 * Production installs (the Ansible role) connect as a non-superuser that owns the
 * tables and may not create roles, so `uurwerk_rls` is not used there and FORCE ROW
 * LEVEL SECURITY is what holds. This test makes such an owner in the test cluster and
 * checks: the wall holds for it without the role; and a pg_dump as that owner needs
 * `--enable-row-security` with `uurwerk.bypass=on` (plain pg_dump refuses, because
 * row security would apply to it).
 */
test('as a non-superuser table owner: the wall holds through FORCE, and pg_dump works only with the explicit bypass', async (t) => {
  const { a, projectId } = await timesheetApp(t);
  const emp = await person(a);
  const other = await person(a);
  t.is((await emp.c.json('POST', '/api/v1/me/entries', { date: daysAgo(1), duration_minutes: 30, project_id: projectId, note: 'x' })).status, 201);

  const role = `owner_${randomBytes(4).toString('hex')}`;
  const password = randomBytes(12).toString('hex');
  const db = a.db.knex;
  await db.raw(`CREATE ROLE ${role} LOGIN NOSUPERUSER NOCREATEROLE NOBYPASSRLS PASSWORD '${password}'`);
  t.teardown(async () => {
    await a.app.stop();
    await db.raw(`REASSIGN OWNED BY ${role} TO CURRENT_USER; DROP OWNED BY ${role}; DROP ROLE ${role}`).catch(() => undefined);
  });
  await db.raw(`ALTER TABLE timesheet_days OWNER TO ${role}; ALTER TABLE time_entries OWNER TO ${role}; ALTER TABLE running_timers OWNER TO ${role};
    GRANT SELECT ON role_assignments, accounts, timesheet_settings TO ${role}`); // the wall reads the actor's time zone with its first statement
  const url = new URL(a.db.url);
  url.username = role;
  url.password = password;
  const owner = createKnex({ connectionString: url.toString() }, { database: { pool_max: 2, statement_timeout_ms: 10000 } } as never);
  t.teardown(() => owner.destroy());

  // No role switch available to this user: FORCE makes the policies apply to the owner.
  const noActor = await owner('timesheet_days').count({ n: '*' }).first();
  t.is(Number(noActor!.n), 0, 'without an actor the owner sees nothing');
  t.is((await inWall(owner, other.id, (w) => listDays(w, (q) => q, {}))).length, 0, "another person sees none of the employee's days");
  t.is((await inWall(owner, emp.id, (w) => listDays(w, (q) => q, {}))).length, 1, 'the employee sees their own day');
  t.is((await inWall(owner, 'bypass', (w) => listDays(w, (q) => q, {}))).length, 1, 'housekeeping sees it with the explicit bypass');

  const dump = (args: string[], env: Record<string, string> = {}) =>
    execFileSync('/usr/bin/pg_dump', ['--data-only', '-t', 'timesheet_days', '-t', 'time_entries', ...args, url.toString()], { encoding: 'utf8', env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  t.throws(() => dump([]), { message: /row-level security/ }, 'a plain pg_dump as the owner is refused');
  const out = dump(['--enable-row-security'], { PGOPTIONS: '-c uurwerk.bypass=on' });
  t.regex(out, /COPY public\.time_entries|INSERT INTO public\.time_entries/);
  t.true(out.includes(emp.id), 'the bypass dumps every row');

  // `uurwerk backup` does the same: run as the (non-superuser) owner it carries the rows.
  // (In production this role owns every table; here it is given read access to the rest.)
  await db.raw(`GRANT USAGE ON SCHEMA audit, pgboss TO ${role};
    GRANT SELECT ON ALL TABLES IN SCHEMA public, audit, pgboss TO ${role};
    GRANT SELECT ON ALL SEQUENCES IN SCHEMA public, audit, pgboss TO ${role}`);
  const tools = findPgTools();
  const file = path.join(mkdtempSync(path.join(tmpdir(), 'uurwerk-owner-backup-')), 'b.dump');
  const bare = new URL(url.toString());
  bare.password = '';
  await backupDatabase({ url: bare.toString(), password, connectionString: url.toString(), release: async () => undefined }, tools, file);
  const restored = execFileSync(tools.pgRestore, ['--data-only', '--table=time_entries', '--file=-', file], { encoding: 'utf8' });
  t.true(restored.includes(emp.id), 'the backup holds the time entries');
});
