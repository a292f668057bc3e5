import { createHash, randomBytes } from 'node:crypto';
import test from 'ava';
import { ApiClient } from '../helpers/client.js';
import { buildLocalAccount, GOOD_PASSWORD } from '../helpers/factories.js';
import { daysAgo, person, timesheetApp, type Person } from '../timesheets/helpers.js';
import type { TestApp } from '../helpers/app.js';

/** Creates a token for the person and returns a function that reads their day with it (status only). */
async function tokenFor(p: Person, name: string): Promise<{ id: string; status: () => Promise<number> }> {
  const created = await p.c.json<{ id: string; token: string }>('POST', '/api/v1/me/tokens', { name, scopes: ['entries:read'] });
  if (created.status !== 201) throw new Error(`token: ${created.status}`);
  const status = async () => (await fetch(`${p.c.base}/api/v1/me/days/${daysAgo(1)}`, { headers: { authorization: `Bearer ${created.body.token}` } })).status;
  return { id: created.body.id, status };
}

async function signInAgain(a: TestApp, username: string): Promise<ApiClient> {
  const c = new ApiClient(a.url);
  const r = await c.json('POST', '/api/v1/session', { username, password: GOOD_PASSWORD, source: 'local' });
  if (r.status !== 200) throw new Error(`sign-in: ${r.status}`);
  return c;
}

test('sign out everywhere ends personal API tokens too, lists them, audits their ids, and /account shows them as revoked', async (t) => {
  const { a } = await timesheetApp(t);
  const emp = await person(a);
  const one = await tokenFor(emp, 'capture agent');
  const two = await tokenFor(emp, 'backup script');
  t.is(await one.status(), 200, 'the token works before');

  const out = await emp.c.json<{ revoked: number; revoked_tokens: Array<{ id: string; name: string }> }>('DELETE', '/api/v1/me/sessions');
  t.is(out.status, 200);
  t.is(out.body.revoked, 1);
  t.deepEqual(out.body.revoked_tokens.map((x) => x.id).sort(), [one.id, two.id].sort());
  t.deepEqual(out.body.revoked_tokens.map((x) => x.name).sort(), ['backup script', 'capture agent']);
  t.is(await one.status(), 401, 'the token ends with the sessions');
  t.is(await two.status(), 401);

  const ev = await a.db.knex('audit.events').where({ action: 'auth.api_token.revoked', subject_id: emp.id }).first();
  t.truthy(ev, 'an audit event for the ended tokens');
  t.deepEqual([...ev.payload.token_ids].sort(), [one.id, two.id].sort());
  t.false(JSON.stringify(ev).includes('capture agent'), 'token names (the owner’s words) stay out of the audit payload');

  const again = await signInAgain(a, emp.username);
  const page = await (await again.call('GET', '/account', undefined, { accept: 'text/html' })).text();
  const ended = /<table class="list" id="ended-tokens">([\s\S]*?)<\/table>/.exec(page)?.[1] ?? '';
  t.true(ended.includes('capture agent') && ended.includes('backup script'), 'the page lists the ended tokens');
  t.false(/id="tokens"/.test(page), 'no live tokens remain');
});

test('an operator revoking a person’s sessions ends their API tokens too', async (t) => {
  const { a } = await timesheetApp(t);
  const emp = await person(a);
  const op = await person(a, { roles: ['operator'] });
  const tok = await tokenFor(emp, 'agent');
  t.is(await tok.status(), 200);
  const r = await op.c.json<{ revoked: number; revoked_tokens: Array<{ id: string }> }>('POST', `/api/v1/accounts/${emp.id}/sessions/revoke`);
  t.is(r.status, 200);
  t.deepEqual(r.body.revoked_tokens.map((x) => x.id), [tok.id]);
  t.is(await tok.status(), 401);
  const ev = await a.db.knex('audit.events').where({ action: 'auth.api_token.revoked', subject_id: emp.id }).first();
  t.is(ev.actor_id, op.id);
  t.deepEqual(ev.payload.token_ids, [tok.id]);
  t.is((await a.db.knex('api_tokens').where({ id: tok.id }).first()).revoke_reason, 'revoked by an operator');
});

test('a password reset ends the account’s API tokens as well', async (t) => {
  const { a } = await timesheetApp(t);
  const u = await buildLocalAccount(a.db.knex, a.app.services.audit, { roles: ['employee'], email: 'tok@example.test' });
  const c = await signInAgain(a, u.username);
  const p: Person = { id: u.id, username: u.username, c };
  const tok = await tokenFor(p, 'agent');
  t.is(await tok.status(), 200);
  // The reset as the person would complete it, with a token we plant (the mail is tested elsewhere).
  const secret = randomBytes(32).toString('base64url');
  await a.db.knex('password_resets').insert({ token_hash: createHash('sha256').update(secret).digest(), account_id: u.id, expires_at: a.db.knex.raw(`now() + interval '10 minutes'`) });
  t.is((await new ApiClient(a.url).json('POST', '/api/v1/password-reset/complete', { token: secret, new_password: 'violet-harbour-engine-93' })).status, 200);
  t.is(await tok.status(), 401);
});
