import test from 'ava';
import { GOOD_PASSWORD, signIn } from '../helpers/factories.js';
import { daysAgo, person, timesheetApp } from './helpers.js';

/** Calls the API with a bearer token only (no cookie, no CSRF token). */
function withToken(url: string, token: string) {
  return async (method: string, path: string, body?: unknown) => {
    const res = await fetch(url + path, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, body: (text ? JSON.parse(text) : null) as Record<string, unknown> & { error?: { code: string } } };
  };
}

test('personal API tokens: shown once, stored hashed, scoped to own entries, revocable', async (t) => {
  // No token cache here: the expiry below is made in the database, as another node would see it.
  const { a, projectId } = await timesheetApp(t, { auth: { throttle_base_seconds: 30, token_cache_seconds: 0 } });
  const emp = await person(a);
  const other = await person(a);

  const bad = await emp.c.json<{ error: { details: Array<{ field: string }> } }>('POST', '/api/v1/me/tokens', { name: '', scopes: ['admin:all'] });
  t.is(bad.status, 422);
  t.deepEqual(bad.body.error.details.map((d) => d.field).sort(), ['name', 'scopes.0']);

  const created = await emp.c.json<{ id: string; token: string; scopes: string[] }>('POST', '/api/v1/me/tokens', { name: 'capture agent', scopes: ['entries:write', 'entries:read'] });
  t.is(created.status, 201);
  t.regex(created.body.token, /^uwt_[A-Za-z0-9_-]{43}$/);
  const stored = await a.db.knex('api_tokens').where({ id: created.body.id }).first();
  t.false(JSON.stringify(stored).includes(created.body.token.slice(4)), 'only a hash is stored');
  const listed = await emp.c.json<{ tokens: Array<Record<string, unknown>> }>('GET', '/api/v1/me/tokens');
  t.is(listed.body.tokens.length, 1);
  t.false('token' in listed.body.tokens[0]!, 'the list never shows the token');

  const api = withToken(a.url, created.body.token);
  const entry = await api('POST', '/api/v1/me/entries', { date: daysAgo(1), duration_minutes: 45, project_id: projectId, note: 'from a script' });
  t.is(entry.status, 201, JSON.stringify(entry.body));
  t.is((await api('GET', `/api/v1/me/days/${daysAgo(1)}`)).status, 200);
  // Only own entries and timer: no account, token or review calls, no one else's data.
  t.is((await api('GET', '/api/v1/me')).body.error?.code, 'token_not_allowed');
  t.is((await api('POST', '/api/v1/me/tokens', { name: 'x', scopes: ['entries:read'] })).status, 403, 'a token cannot mint tokens');
  t.is((await api('POST', `/api/v1/me/days/${daysAgo(1)}/submit`)).status, 403, 'submitting stays a human act');
  t.is((await api('DELETE', '/api/v1/me/sessions')).status, 403);
  const othersEntry = await other.c.json<{ id: string }>('POST', '/api/v1/me/entries', { date: daysAgo(1), duration_minutes: 30, project_id: projectId });
  t.is((await api('GET', `/api/v1/me/entries/${othersEntry.body.id}`)).status, 404);

  const readOnly = await emp.c.json<{ token: string }>('POST', '/api/v1/me/tokens', { name: 'reader', scopes: ['entries:read'] });
  const reader = withToken(a.url, readOnly.body.token);
  t.is((await reader('GET', `/api/v1/me/days/${daysAgo(1)}`)).status, 200);
  const denied = await reader('POST', '/api/v1/me/entries', { date: daysAgo(1), duration_minutes: 5, project_id: projectId });
  t.is(denied.status, 403);
  t.is(denied.body.error?.code, 'token_scope');

  t.is((await api('GET', '/api/v1/me/timer')).status, 200);
  t.is((await emp.c.call('DELETE', `/api/v1/me/tokens/${created.body.id}`)).status, 204);
  t.is((await api('GET', '/api/v1/me/timer')).status, 401, 'revoked');
  t.is((await withToken(a.url, 'uwt_' + 'A'.repeat(43))('GET', '/api/v1/me/timer')).status, 401, 'unknown');
  await a.db.knex('api_tokens').update({ expires_at: a.db.knex.raw(`now() - interval '1 second'`) });
  t.is((await reader('GET', `/api/v1/me/days/${daysAgo(1)}`)).status, 401, 'expired');
  const events = await a.db.knex('audit.events').where('action', 'like', 'auth.api_token.%').pluck('action');
  t.deepEqual(events.sort(), ['auth.api_token.created', 'auth.api_token.created', 'auth.api_token.revoked']);
});

test('the token cache: a revocation on this node ends the token at once; a change made elsewhere within token_cache_seconds', async (t) => {
  const { a } = await timesheetApp(t, { auth: { throttle_base_seconds: 30, token_cache_seconds: 1 } });
  const emp = await person(a);
  const mint = async (name: string) => withToken(a.url, (await emp.c.json<{ token: string }>('POST', '/api/v1/me/tokens', { name, scopes: ['entries:read'] })).body.token);
  const first = await mint('one');
  t.is((await first('GET', '/api/v1/me/timer')).status, 200);
  // Revoked by its owner on this node: gone at once, although it was just cached.
  const [id] = (await emp.c.json<{ tokens: Array<{ id: string }> }>('GET', '/api/v1/me/tokens')).body.tokens.map((x) => x.id);
  t.is((await emp.c.call('DELETE', `/api/v1/me/tokens/${id}`)).status, 204);
  t.is((await first('GET', '/api/v1/me/timer')).status, 401, 'owner revocation');

  // "Sign out everywhere" ends tokens too (revokeAccess), also at once.
  const second = await mint('two');
  t.is((await second('GET', '/api/v1/me/timer')).status, 200);
  t.is((await emp.c.call('DELETE', '/api/v1/me/sessions')).status, 200);
  t.is((await second('GET', '/api/v1/me/timer')).status, 401, 'revokeAccess');

  // A revocation written by another node reaches this one within the cache's lifetime.
  const { client: other } = await signIn(a, { username: emp.username, password: GOOD_PASSWORD });
  const third = withToken(a.url, (await other.json<{ token: string }>('POST', '/api/v1/me/tokens', { name: 'three', scopes: ['entries:read'] })).body.token);
  t.is((await third('GET', '/api/v1/me/timer')).status, 200);
  await a.db.knex('api_tokens').whereNull('revoked_at').update({ revoked_at: a.db.knex.fn.now(), revoke_reason: 'elsewhere' });
  t.is((await third('GET', '/api/v1/me/timer')).status, 200, 'still trusted from the cache (the documented bound)');
  await new Promise((r) => setTimeout(r, 1_100));
  t.is((await third('GET', '/api/v1/me/timer')).status, 401, 'after token_cache_seconds');
});
