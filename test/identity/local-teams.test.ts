/**
 * Local teams, memberships and role grants: the same scope tables as the directory's,
 * so the same walls hold; the directory sync never touches them.
 */
import test from 'ava';
import { runDirectorySync } from '../../src/directory/service.js';
import { createLocalPerson } from '../../src/identity/local-people.js';
import { addTeamMember, createLocalTeam, grantLocalRole, revokeLocalRole, listTeams, type LocalAdminDeps } from '../../src/identity/local-teams.js';
import { ConflictError, ValidationError } from '../../src/platform/errors.js';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { FAKE_BASE, fakeUserDn, scriptedFakeDirectory } from '../helpers/fake-directory.js';
import { buildOperator, buildProject, buildEntry, GOOD_PASSWORD, signIn, localDate } from '../helpers/factories.js';
import { testLogger } from '../helpers/log.js';
import { directoryConfig } from '../directory/support.js';

const deps = (a: TestApp, config = a.config): LocalAdminDeps & { keys: TestApp['app']['keys'] } => ({ db: a.db.knex, audit: a.app.services.audit, config, keys: a.app.keys });

test('a local team admin sees the submitted days of their local team only', async (t) => {
  const a = await startTestApp(t);
  const d = deps(a);
  await createLocalTeam(d, 'blue', 'cli:test');
  await createLocalTeam(d, 'green', 'cli:test');
  const mk = (username: string, extra: { teams?: string[]; adminOf?: string[] }) => createLocalPerson(d, { username, password: GOOD_PASSWORD, ...extra }, 'cli:test');
  const admin = await mk('blue-admin', { adminOf: ['blue'] });
  const inBlue = await mk('blue-member', { teams: ['blue'] });
  const inGreen = await mk('green-member', { teams: ['green'] });
  const { projectId } = await buildProject(a);
  const date = localDate(1);
  for (const username of ['blue-member', 'green-member']) {
    const s = await signIn(a, { username, password: GOOD_PASSWORD });
    await buildEntry({ id: '', username, source: 'local', client: s.client, state: s.state }, { projectId, date });
    t.is((await s.client.json('POST', `/api/v1/me/days/${date}/submit`)).status, 200);
  }
  const adm = await signIn(a, { username: 'blue-admin', password: GOOD_PASSWORD });
  const list = await adm.client.json<{ days: Array<{ id: string; owner_id: string }> }>('GET', '/api/v1/days');
  t.is(list.status, 200);
  t.deepEqual(list.body.days.map((x) => x.owner_id), [inBlue.id]);
  // The green day exists but answers 404 to the blue admin (the row wall, not just the list).
  const greenDayId = (await a.db.knex.transaction(async (trx) => {
    await trx.raw(`SET LOCAL uurwerk.bypass = 'on'`);
    return (await trx('timesheet_days').where({ owner_id: inGreen.id }).first('id')).id as string;
  }));
  t.is((await adm.client.json('GET', `/api/v1/days/${greenDayId}`)).status, 404);
  t.not(admin.id, inBlue.id);

  // Revoking the local admin grant closes the inbox at once.
  await revokeLocalRole(d, admin.id, 'team_admin', 'blue', 'cli:test');
  const after = await adm.client.json<{ days: unknown[] }>('GET', '/api/v1/days');
  t.deepEqual(after.status === 200 ? after.body.days : [], []);
});

test('bad grants name the field; team names cannot clash; the last operator keeps the role', async (t) => {
  const a = await startTestApp(t);
  const d = deps(a);
  const p = await createLocalPerson(d, { username: 'someone', password: GOOD_PASSWORD }, 'cli:test');
  const fieldOf = async (fn: () => Promise<unknown>) => ((await t.throwsAsync(fn, { instanceOf: ValidationError })) as ValidationError).fields.map((f) => f.field);
  t.deepEqual(await fieldOf(() => grantLocalRole(d, p.id, 'boss', undefined, 'cli:test')), ['role']);
  t.deepEqual(await fieldOf(() => grantLocalRole(d, p.id, 'team_admin', undefined, 'cli:test')), ['team']);
  t.deepEqual(await fieldOf(() => grantLocalRole(d, p.id, 'team_admin', 'nowhere', 'cli:test')), ['team']);
  t.deepEqual(await fieldOf(() => addTeamMember(d, 'nowhere', p.id, 'cli:test')), ['team']);
  t.deepEqual(await fieldOf(() => createLocalTeam(d, ' bad', 'cli:test')), ['name']);
  await createLocalTeam(d, 'red', 'cli:test');
  await t.throwsAsync(() => createLocalTeam(d, 'red', 'cli:test'), { instanceOf: ConflictError });
  t.false(await grantLocalRole(d, p.id, 'employee', undefined, 'cli:test'), 'new people are employees already');
  for (const role of ['operator', 'auditor', 'dpo', 'reports', 'payroll']) t.true(await grantLocalRole(d, p.id, role, undefined, 'cli:test'), role);
  t.true(await grantLocalRole(d, p.id, 'team_admin', 'red', 'cli:test'));
  t.false(await grantLocalRole(d, p.id, 'auditor', undefined, 'cli:test'), 'granting twice changes nothing');
  const roles = await a.db.knex('role_assignments').where({ account_id: p.id }).orderBy('role').select('role', 'team', 'reason', 'source');
  t.deepEqual(roles.map((r) => r.role), ['auditor', 'dpo', 'employee', 'operator', 'payroll', 'reports', 'team_admin']);
  t.true(roles.every((r) => r.source === 'local' && r.reason === 'granted by cli:test'));
  await t.throwsAsync(() => revokeLocalRole(d, p.id, 'operator', undefined, 'cli:test'), { instanceOf: ConflictError, message: /last active operator/ });
  await buildOperator(a);
  t.true(await revokeLocalRole(d, p.id, 'operator', undefined, 'cli:test'));
  await a.app.services.audit.flush(); // chain what the calls before staged, as a request's answer would have waited for
  const events = await a.db.knex('audit.events').whereIn('action', ['admin.role.granted', 'admin.role.revoked', 'admin.team.created']).count<{ n: string }[]>({ n: '*' });
  t.true(Number(events[0]!.n) >= 9);
});

test('(scripted fake directory) a directory sync keeps local teams, memberships and grants; a site mixes both', async (t) => {
  const a = await startTestApp(t);
  const fake = await scriptedFakeDirectory({ kind: 'users', count: 4 });
  t.teardown(() => fake.stop());
  fake.groups = [{ dn: `CN=Admins,${FAKE_BASE}`, guid: 900, members: [fakeUserDn(4)] }];
  const dir = directoryConfig({
    urls: [fake.url], allow_plain_ldap: true, base_dns: [`OU=Staff,${FAKE_BASE}`], timeout_seconds: 3,
    roles: { teams: [{ name: 'staff', admin_groups: [`CN=Admins,${FAKE_BASE}`], scope: { ou: `OU=Staff,${FAKE_BASE}` } }] },
  });
  const config = { ...a.config, directory: dir };
  const sync = () => runDirectorySync(a.db.knex, { config: dir, audit: a.app.services.audit, logger: testLogger('local-teams') }, { trigger: 'test', actorId: 'system', full: true });
  const first = await sync();
  t.is(first.outcome, 'applied', JSON.stringify(first.problem));
  const d = deps(a, config);
  const ids = Object.fromEntries(((await a.db.knex('accounts').where({ source: 'directory' }).select('id', 'username')) as Array<{ id: string; username: string }>).map((r) => [r.username, r.id]));
  await createLocalTeam(d, 'night', 'cli:test');
  t.is((await t.throwsAsync(() => createLocalTeam(d, 'staff', 'cli:test'), { instanceOf: ConflictError }))!.message, 'The team staff comes from the directory configuration');
  await addTeamMember(d, 'night', ids.fake0001!, 'cli:test');
  await grantLocalRole(d, ids.fake0002!, 'team_admin', 'night', 'cli:test');
  await grantLocalRole(d, ids.fake0003!, 'auditor', undefined, 'cli:test');
  const local = await createLocalPerson(d, { username: 'contractor', password: GOOD_PASSWORD, teams: ['staff'] }, 'cli:test');
  const before = await a.db.knex('team_scope_members').orderBy(['team', 'account_id']).select('team', 'account_id', 'via', 'source');
  const rolesBefore = await a.db.knex('role_assignments').where({ source: 'local' }).orderBy(['account_id', 'role']).select('account_id', 'role', 'team');
  t.is((await sync()).outcome, 'applied');
  t.is((await sync()).outcome, 'applied');
  t.deepEqual(await a.db.knex('team_scope_members').orderBy(['team', 'account_id']).select('team', 'account_id', 'via', 'source'), before);
  t.deepEqual(await a.db.knex('role_assignments').where({ source: 'local' }).orderBy(['account_id', 'role']).select('account_id', 'role', 'team'), rolesBefore);
  t.true(before.some((r) => r.team === 'staff' && r.account_id === local.id && r.source === 'local'), 'a local person in a directory team');
  t.true(before.some((r) => r.team === 'staff' && r.source === 'directory'), 'the directory fills its own team');
  const teams = await listTeams(a.db.knex, config);
  t.deepEqual(teams.map((x) => [x.name, x.source, x.members, x.admins]), [['night', 'local', 1, 1], ['staff', 'directory', 5, 1]]);
});
