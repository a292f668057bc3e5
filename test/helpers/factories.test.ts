/**
 * The factories build what they promise, through the real services and API: if a
 * service changes under them, this file fails first, with a clear message, rather
 * than every test that uses them.
 */
import test from 'ava';
import { startTestApp } from './app.js';
import { buildAuditor, buildDay, buildEmployee, buildOperator, buildProject, buildTeamAdmin, localDate, signIn, type BuiltPerson } from './factories.js';

interface Me {
  source: string;
  username: string;
  roles: Array<{ role: string; team: string | null }>;
  second_factor: { enrolled: boolean };
}

async function me(p: BuiltPerson): Promise<{ status: number; body: Me }> {
  return p.client.json<Me>('GET', '/api/v1/me');
}

test('people: employee, team admin with scope, operator and auditor, local and directory, all signed in', async (t) => {
  const a = await startTestApp(t);
  const cases = [
    { p: await buildEmployee(a), source: 'local', role: 'employee', team: null },
    { p: await buildTeamAdmin(a, { team: 'ward-3' }), source: 'local', role: 'team_admin', team: 'ward-3' },
    { p: await buildOperator(a), source: 'local', role: 'operator', team: null },
    { p: await buildAuditor(a), source: 'local', role: 'auditor', team: null },
    { p: await buildEmployee(a, { source: 'directory' }), source: 'directory', role: 'employee', team: null },
    { p: await buildTeamAdmin(a, { source: 'directory', team: 'ward-4' }), source: 'directory', role: 'team_admin', team: 'ward-4' },
    { p: await buildOperator(a, { source: 'directory' }), source: 'directory', role: 'operator', team: null },
  ];
  for (const { p, source, role, team } of cases) {
    const r = await me(p);
    t.is(r.status, 200, `${source} ${role}: ${JSON.stringify(r.body)}`);
    t.is(p.state, 'authenticated', `${source} ${role}`);
    t.is(r.body.source, source);
    t.is(r.body.username, p.username);
    t.true(r.body.roles.some((x) => x.role === role && x.team === team), `${source} ${role}: ${JSON.stringify(r.body.roles)}`);
  }
  const operator = cases[2]!.p;
  t.truthy(operator.totpSecret, 'a local operator enrolled TOTP on the way in');
  t.true((await me(operator)).body.second_factor.enrolled);
});

test('sessions: the password step alone leaves the second factor to do, and the API refuses until it is done', async (t) => {
  const a = await startTestApp(t);
  const fresh = await buildOperator(a, { signIn: 'password-only' });
  t.is(fresh.state, 'totp_enrolment_required');
  t.is((await me(fresh)).status, 403);

  const enrolled = await buildOperator(a);
  const again = await signIn(a, { username: enrolled.username, password: enrolled.password!, totpSecret: enrolled.totpSecret }, 'password-only');
  t.is(again.state, 'second_factor_required');
  t.is((await again.client.json('GET', '/api/v1/me')).status, 403);

  const dir = await buildOperator(a, { source: 'directory', signIn: 'password-only' });
  t.not(dir.state, 'authenticated');
  t.is((await me(dir)).status, 403);
});

test('days: draft, submitted, returned and approved, as their owner sees them', async (t) => {
  const a = await startTestApp(t);
  const admin = await buildTeamAdmin(a, { team: 'ward-3' });
  const owner = await buildEmployee(a, { team: 'ward-3' });
  const { projectId, taskId } = await buildProject(a, { by: admin, team: 'ward-3' });
  const states = ['draft', 'submitted', 'returned', 'approved'] as const;
  for (const [i, state] of states.entries()) {
    const day = await buildDay(owner, { projectId, taskId, state, admin, date: localDate(i + 1) });
    const seen = await owner.client.json<{ state: string; total_minutes: number }>('GET', `/api/v1/me/days/${day.date}`);
    t.is(seen.status, 200);
    t.is(seen.body.state, state, `${state}: ${JSON.stringify(seen.body)}`);
    t.is(seen.body.total_minutes, 480);
  }
  await t.throwsAsync(buildDay(owner, { projectId, state: 'approved', date: localDate(6) }), { message: /needs an admin/ });
});

