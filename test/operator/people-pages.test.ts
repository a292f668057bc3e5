/**
 * The operator's people and teams pages: hidden from everyone else (404), forms that
 * keep what was typed and name the field on a mistake, and the same services as the API.
 */
import test from 'ava';
import { OPERATOR_STRINGS } from '../../src/operator/strings.js';
import { startTestApp } from '../helpers/app.js';
import type { ApiClient } from '../helpers/client.js';
import { buildEmployee, buildOperator } from '../helpers/factories.js';

async function get(c: ApiClient, path: string): Promise<{ status: number; text: string }> {
  const res = await c.call('GET', path);
  return { status: res.status, text: await res.text() };
}

/** A form post as a browser sends it: urlencoded, repeated names for checkbox groups. */
async function postForm(c: ApiClient, path: string, fields: Array<[string, string]>): Promise<{ status: number; location: string | null; text: string }> {
  const cookie = [...c.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
  const body = new URLSearchParams([...fields, ['_csrf', c.csrf ?? '']]);
  const r = await fetch(c.base + path, { method: 'POST', redirect: 'manual', headers: { cookie, 'content-type': 'application/x-www-form-urlencoded' }, body });
  return { status: r.status, location: r.headers.get('location'), text: await r.text() };
}

test('the operator strings have the same keys in Dutch and English', (t) => {
  t.deepEqual(Object.keys(OPERATOR_STRINGS.nl).sort(), Object.keys(OPERATOR_STRINGS.en).sort());
});

test('operator pages: create a team and a person by form, edit, deactivate; others get 404', async (t) => {
  const a = await startTestApp(t);
  const emp = await buildEmployee(a);
  for (const path of ['/operator/people/new', `/operator/people/${emp.id}`]) t.is((await get(emp.client, path)).status, 404, path);
  t.is((await postForm(emp.client, '/operator/teams', [['name', 'x']])).status, 404);

  const op = await buildOperator(a);
  const team = await postForm(op.client, '/operator/teams', [['name', 'Harbour']]);
  t.is(team.status, 302);
  t.regex(team.location ?? '', /team_created=1/);
  t.regex((await postForm(op.client, '/operator/teams', [['name', 'Harbour']])).location ?? '', /team_problem=exists/);
  const console = await get(op.client, '/operator?lang=nl&team_problem=exists');
  t.is(console.status, 200);
  t.regex(console.text, /<h2 id="people-h">Personen en teams<\/h2>/);
  t.regex(console.text, /er bestaat al een team met die naam/);
  t.regex(console.text, /<td>Harbour<\/td><td>lokaal<\/td>/);

  const form = await get(op.client, '/operator/people/new?lang=en');
  t.is(form.status, 200);
  t.regex(form.text, /<input type="checkbox" name="admin_of" value="Harbour">/);
  const bad = await postForm(op.client, '/operator/people', [['username', 'piet'], ['display_name', 'Piet Paulusma'], ['email', 'not-a-mail'], ['roles', 'employee'], ['teams', 'Harbour']]);
  t.is(bad.status, 422);
  t.regex(bad.text, /Mail address: /, 'the field is named by its label');
  t.regex(bad.text, /value="Piet Paulusma"/, 'what was typed stays');
  t.regex(bad.text, /name="teams" value="Harbour" checked/);

  const made = await postForm(op.client, '/operator/people', [['username', 'piet'], ['display_name', 'Piet Paulusma'], ['email', 'piet@example.test'], ['roles', 'employee'], ['roles', 'payroll'], ['teams', 'Harbour']]);
  t.is(made.status, 302, made.text);
  const id = /\/operator\/people\/([0-9a-f-]{36})/.exec(made.location ?? '')?.[1];
  t.truthy(id);
  const edit = await get(op.client, `${made.location!}&lang=en`);
  t.regex(edit.text, /The person was created/);
  t.regex(edit.text, /name="roles" value="payroll" checked/);
  const saved = await postForm(op.client, `/operator/people/${id}`, [['display_name', 'Piet P.'], ['email', 'piet@example.test'], ['roles', 'employee'], ['admin_of', 'Harbour']]);
  t.is(saved.status, 302, saved.text);
  const roles = await a.db.knex('role_assignments').where({ account_id: id }).orderBy('role').select('role', 'team');
  t.deepEqual(roles, [{ role: 'employee', team: '' }, { role: 'team_admin', team: 'Harbour' }]);
  t.deepEqual(await a.db.knex('team_scope_members').where({ account_id: id }).select('team'), [], 'unticked membership removed');
  t.is((await a.db.knex('accounts').where({ id }).first('display_name')).display_name, 'Piet P.');

  const off = await postForm(op.client, `/operator/people/${id}/deactivate`, []);
  t.is(off.status, 302);
  t.is((await a.db.knex('accounts').where({ id }).first('status')).status, 'disabled');
  const users = await get(op.client, '/operator?lang=nl');
  t.regex(users.text, new RegExp(`href="/operator/people/${id}">Wijzigen`));
  t.regex(users.text, /gedeactiveerd/);
});
