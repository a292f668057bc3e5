/**
 * The operator's API for local people: 401, 422 naming the field, 403, 404, then the
 * whole life of a person — created, mailed a set-password link, signs in, edited,
 * deactivated (cannot sign in, sessions end), each step audited.
 */
import test from 'ava';
import { startTestApp } from '../helpers/app.js';
import { ApiClient } from '../helpers/client.js';
import { buildEmployee, buildOperator, GOOD_PASSWORD } from '../helpers/factories.js';
import { outboxMails } from '../helpers/mail.js';

test('operator API for local people: 401, 422 with the field, 403, 404, then create → set password → edit → deactivate', async (t) => {
  const a = await startTestApp(t);
  const anon = new ApiClient(a.url);
  t.is((await anon.json('POST', '/api/v1/people', { username: 'x', email: 'x@example.test' })).status, 401);

  const op = await buildOperator(a);
  const bad = await op.client.json<{ error: { code: string; details?: Array<{ field: string }> } }>('POST', '/api/v1/people', { username: 'ok-name', email: 'not-mail', roles: ['boss'] });
  t.is(bad.status, 422);
  t.deepEqual(bad.body.error.details?.map((d) => d.field).sort(), ['email', 'roles.0']);
  const badName = await op.client.json<{ error: { details?: Array<{ field: string }> } }>('POST', '/api/v1/people', { username: '-x', email: 'x@example.test', teams: ['no-such-team'] });
  t.is(badName.status, 422);
  t.deepEqual(badName.body.error.details?.map((d) => d.field).sort(), ['teams', 'username']);
  t.is(await a.db.knex('accounts').where({ username: '-x' }).first(), undefined, 'nothing half-written');

  const emp = await buildEmployee(a);
  t.is((await emp.client.json('POST', '/api/v1/people', { username: 'sneaky', email: 's@example.test' })).status, 403);
  t.is((await emp.client.json('POST', '/api/v1/teams', { name: 'mine' })).status, 403);
  t.is((await op.client.json('GET', '/api/v1/people/00000000-0000-4000-8000-000000000000')).status, 404);

  t.is((await op.client.json('POST', '/api/v1/teams', { name: 'harbour' })).status, 201);
  t.is((await op.client.json('POST', '/api/v1/teams', { name: 'harbour' })).status, 409);
  const created = await op.client.json<{ id: string; username: string; status: string; set_password_mailed: boolean; roles: Array<{ role: string; team: string | null; source: string; reason: string }>; teams: Array<{ team: string }> }>(
    'POST', '/api/v1/people', { username: 'anna', display_name: 'Anna de Vries', email: 'anna@example.test', roles: ['employee'], teams: ['harbour'] },
  );
  t.is(created.status, 201, JSON.stringify(created.body));
  t.true(created.body.set_password_mailed);
  t.deepEqual(created.body.roles.map((r) => [r.role, r.source, r.reason]), [['employee', 'local', `granted by ${op.username}`]]);
  t.deepEqual(created.body.teams.map((x) => x.team), ['harbour']);
  t.is((await op.client.json('POST', '/api/v1/people', { username: 'ANNA', email: 'b@example.test' })).status, 409);

  // Nobody knows the password until the link is used.
  const anna = new ApiClient(a.url);
  t.is((await anna.json('POST', '/api/v1/session', { username: 'anna', password: GOOD_PASSWORD })).status, 401);
  const [mail] = await outboxMails(a.db.knex, a.app.keys, {});
  t.deepEqual(mail?.recipients, ['anna@example.test']);
  t.notRegex(mail!.stored ?? '', /token=/, 'the link rests sealed');
  const token = /token=([A-Za-z0-9_-]+)/.exec(mail!.text)?.[1];
  t.truthy(token);
  const reset = await a.db.knex('password_resets').where({ account_id: created.body.id }).first('expires_at');
  t.true(new Date(reset.expires_at).getTime() - Date.now() > 70 * 3600_000, 'the link lasts days, not minutes');
  t.is((await anna.json('POST', '/api/v1/password-reset/complete', { token, new_password: GOOD_PASSWORD })).status, 200);
  t.is((await anna.json('POST', '/api/v1/session', { username: 'anna', password: GOOD_PASSWORD })).status, 200);
  t.is((await anna.json('GET', '/api/v1/me')).status, 200);

  // Edit: name, mail, roles and teams replace the local rows.
  const edited = await op.client.json<{ display_name: string; email: string | null; roles: Array<{ role: string; team: string | null }>; teams: unknown[] }>(
    'PATCH', `/api/v1/people/${created.body.id}`, { display_name: 'Anna Jansen', email: null, roles: ['employee', 'reports'], teams: [], admin_of: ['harbour'] },
  );
  t.is(edited.status, 200, JSON.stringify(edited.body));
  t.is(edited.body.display_name, 'Anna Jansen');
  t.is(edited.body.email, null);
  t.deepEqual(edited.body.roles.map((r) => [r.role, r.team]), [['employee', null], ['reports', null], ['team_admin', 'harbour']]);
  t.deepEqual(edited.body.teams, []);
  const badEdit = await op.client.json<{ error: { details?: Array<{ field: string }> } }>('PATCH', `/api/v1/people/${created.body.id}`, { admin_of: ['nowhere'] });
  t.is(badEdit.status, 422);
  t.deepEqual(badEdit.body.error.details?.map((d) => d.field), ['admin_of']);
  const revoke = (body: object) => op.client.json<{ changed: boolean }>('POST', `/api/v1/people/${created.body.id}/roles/revoke`, body);
  t.deepEqual((await revoke({ role: 'reports' })).body, { changed: true });
  t.deepEqual((await revoke({ role: 'reports' })).body, { changed: false });
  t.is((await revoke({ role: 'team_admin' })).status, 422, 'team admin needs its team');
  t.deepEqual((await op.client.json('POST', `/api/v1/people/${created.body.id}/roles`, { role: 'payroll' })).body, { changed: true });

  // Deactivate: the live session ends and signing in is refused.
  const off = await op.client.json<{ status: string }>('POST', `/api/v1/people/${created.body.id}/deactivate`);
  t.is(off.body.status, 'disabled');
  t.is((await anna.json('GET', '/api/v1/me')).status, 401);
  t.is((await new ApiClient(a.url).json('POST', '/api/v1/session', { username: 'anna', password: GOOD_PASSWORD })).status, 401);
  t.is((await op.client.json('POST', `/api/v1/people/${op.id}/deactivate`)).status, 409, 'the last operator stays');
  t.is((await op.client.json('POST', `/api/v1/people/${created.body.id}/reactivate`)).status, 200);

  const actions = ((await a.db.knex('audit.events').where({ subject_id: created.body.id }).orderBy('seq').select('action')) as Array<{ action: string }>).map((r) => r.action);
  for (const action of ['admin.account.created', 'admin.role.granted', 'admin.team.member_added', 'admin.account.set_password_mailed', 'admin.account.updated', 'admin.role.revoked', 'admin.team.member_removed', 'admin.account.deactivated', 'admin.account.reactivated']) {
    t.true(actions.includes(action), action);
  }
  const updated = await a.db.knex('audit.events').where({ subject_id: created.body.id, action: 'admin.account.updated' }).first('payload');
  t.deepEqual(updated.payload, { fields: ['display_name', 'email'] }, 'field names, never their content');
});
