import test from 'ava';
import { applyDirectoryChanges } from '../../src/identity/directory-accounts.js';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { ApiClient } from '../helpers/client.js';
import { buildEmployee, buildOperator } from '../helpers/factories.js';
import { setTimeout as sleep } from 'node:timers/promises';

/**
 * The session cache (`auth.session_cache_seconds`): a cookie found live is trusted for a
 * few seconds without a lookup, but whatever ends a session in this process ends it at
 * once; a change made behind the appliance's back counts within the cache's lifetime.
 */

/** Statements the app's knex sends while `fn` runs. */
async function statements(a: TestApp, fn: () => Promise<void>): Promise<string[]> {
  const sql: string[] = [];
  const listener = (q: { sql: string }) => sql.push(q.sql);
  a.app.db.on('query', listener);
  try {
    await fn();
  } finally {
    a.app.db.off('query', listener);
  }
  return sql;
}

/** A copy of a client holding the same cookie (a stolen or replayed cookie). */
function replay(a: TestApp, c: ApiClient): ApiClient {
  const r = new ApiClient(a.url);
  r.cookies = new Map(c.cookies);
  r.csrf = c.csrf;
  return r;
}

const me = async (c: ApiClient) => (await c.json('GET', '/api/v1/me')).status;

test('a cached session costs no lookup, and signing out refuses its cookie at once', async (t) => {
  const a = await startTestApp(t, { auth: { session_cache_seconds: 60 } });
  const emp = await buildEmployee(a);
  t.is(await me(emp.client), 200);
  const sql = await statements(a, async () => { t.is(await me(emp.client), 200); });
  t.false(sql.some((q) => /"?sessions"?/.test(q)), `no session lookup while cached: ${sql.join(' | ')}`);

  const copy = replay(a, emp.client);
  t.is((await emp.client.json('DELETE', '/api/v1/session')).status, 204);
  t.is(await me(copy), 401, 'the cookie is refused right after sign-out, cache or not');
});

test('sign out everywhere and an operator’s deactivation refuse cached cookies at once', async (t) => {
  const a = await startTestApp(t, { auth: { session_cache_seconds: 60 } });
  const emp = await buildEmployee(a);
  const other = replay(a, emp.client);
  t.is(await me(other), 200);
  t.is((await emp.client.json('DELETE', '/api/v1/me/sessions')).status, 200);
  t.is(await me(other), 401, 'sign out everywhere');

  const op = await buildOperator(a);
  const leaver = await buildEmployee(a);
  t.is(await me(leaver.client), 200);
  t.is((await op.client.json('POST', `/api/v1/people/${leaver.id}/deactivate`)).status, 200);
  t.is(await me(leaver.client), 401, 'deactivated by an operator');
});

test('a directory disable and a lost role count at once for a cached session', async (t) => {
  const a = await startTestApp(t, { auth: { session_cache_seconds: 60 } });
  const gone = await buildEmployee(a, { source: 'directory' });
  t.is(await me(gone.client), 200);
  // What the sync applies when the directory disables a person (the sync itself needs Samba).
  await a.db.knex.transaction((trx) => applyDirectoryChanges(trx, {
    statusChanges: [{ id: gone.id, status: 'disabled', reason: 'disabled' }], fieldUpdates: [], inserts: [], seen: [],
    rolesToRemove: [], rolesToAdd: [], scopeToRemove: [], scopeToAdd: [], revokeSessions: [{ accountId: gone.id, reason: 'directory: disabled' }],
  }));
  t.is(await me(gone.client), 401, 'disabled in the directory');

  const op = await buildOperator(a, { source: 'directory' });
  const inbox = async () => (await op.client.json('GET', `/api/v1/people/${op.id}`)).status;
  t.is(await inbox(), 200);
  const role = await a.db.knex('role_assignments').where({ account_id: op.id, role: 'operator' }).first();
  await a.db.knex.transaction((trx) => applyDirectoryChanges(trx, {
    statusChanges: [], fieldUpdates: [], inserts: [], seen: [],
    rolesToRemove: [role], rolesToAdd: [], scopeToRemove: [], scopeToAdd: [], revokeSessions: [],
  }));
  t.is(await inbox(), 403, 'the lost operator role counts on the next request');
});

test('a revocation made behind the appliance’s back (another process) counts within session_cache_seconds', async (t) => {
  const a = await startTestApp(t, { auth: { session_cache_seconds: 1 } });
  const emp = await buildEmployee(a);
  t.is(await me(emp.client), 200);
  await a.db.knex('sessions').where({ account_id: emp.id }).update({ revoked_at: a.db.knex.fn.now(), revoke_reason: 'another node' });
  await sleep(1_100);
  t.is(await me(emp.client), 401, 'refused once the cache entry has lapsed');

  const b = await startTestApp(t, { auth: { session_cache_seconds: 0 } });
  const emp2 = await buildEmployee(b);
  t.is(await me(emp2.client), 200);
  await b.db.knex('sessions').where({ account_id: emp2.id }).update({ revoked_at: b.db.knex.fn.now(), revoke_reason: 'another node' });
  t.is(await me(emp2.client), 401, 'with 0, every request asks the database');
});
