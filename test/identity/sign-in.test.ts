import test from 'ava';
import { currentTotp } from '../../src/identity/totp.js';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { ApiClient } from '../helpers/client.js';
import { buildDirectoryAccount, buildLocalAccount, GOOD_PASSWORD } from '../helpers/factories.js';

async function app(t: Parameters<typeof startTestApp>[0], auth: Record<string, unknown> = {}): Promise<TestApp> {
  return startTestApp(t, { auth: { throttle_base_seconds: 30, ...auth } });
}

function account(a: TestApp, opts: Parameters<typeof buildLocalAccount>[2] = {}) {
  return buildLocalAccount(a.db.knex, a.app.services.audit, opts);
}

/** Signs in and, if asked, enrols TOTP; returns the client and the TOTP secret. */
async function signedIn(a: TestApp, username: string, password = GOOD_PASSWORD) {
  const c = new ApiClient(a.url);
  const r = await c.json('POST', '/api/v1/session', { username, password, source: 'local' });
  return { c, state: (r.body as { state: string }).state, status: r.status };
}

async function enrol(c: ApiClient, password = GOOD_PASSWORD): Promise<{ secret: string; recovery: string[]; code: string }> {
  const start = await c.json<{ secret: string; qr_svg: string }>('POST', '/api/v1/me/totp/enrolment', { password });
  if (start.status !== 200) throw new Error(`enrolment start: ${start.status} ${JSON.stringify(start.body)}`);
  const code = await currentTotp(start.body.secret);
  const confirm = await c.json<{ recovery_codes: string[] }>('POST', '/api/v1/me/totp/confirm', { code });
  if (confirm.status !== 200) throw new Error(`enrolment confirm: ${confirm.status} ${JSON.stringify(confirm.body)}`);
  return { secret: start.body.secret, recovery: confirm.body.recovery_codes, code };
}

test('unauthenticated calls get 401; bad sign-in bodies 422 naming the field', async (t) => {
  const a = await app(t);
  const c = new ApiClient(a.url);
  t.is((await c.json('GET', '/api/v1/me')).status, 401);
  const bad = await c.json<{ error: { details: Array<{ field: string }> } }>('POST', '/api/v1/session', { username: '', password: 'x', source: 'ldap', user_id: 'x' });
  t.is(bad.status, 422);
  t.deepEqual(bad.body.error.details.map((d) => d.field).sort(), ['source', 'user_id', 'username']);
});

test('an employee signs in: cookie is __Host-, HttpOnly, SameSite=Strict, Secure on loopback', async (t) => {
  const a = await app(t);
  const u = await account(a);
  const { c, state, status } = await signedIn(a, u.username);
  t.is(status, 200);
  t.is(state, 'authenticated');
  const cookie = c.lastSetCookie.find((x) => x.startsWith('__Host-uurwerk_session='));
  t.truthy(cookie);
  t.regex(cookie!, /; HttpOnly/);
  t.regex(cookie!, /; SameSite=Strict/);
  t.regex(cookie!, /; Secure/);
  t.regex(cookie!, /; Path=\//);
  t.notRegex(cookie!, /Domain=/i);
  const me = await c.json<{ username: string; roles: Array<{ role: string; reason: string }> }>('GET', '/api/v1/me');
  t.is(me.status, 200);
  t.is(me.body.username, u.username);
  t.deepEqual(me.body.roles.map((r) => r.role), ['employee']);
});

test('wrong passwords and unknown users get the same 401, and each failure is audited', async (t) => {
  const a = await app(t);
  const u = await account(a);
  const wrong = await signedIn(a, u.username, 'not-the-password-at-all');
  const unknown = await signedIn(a, 'nobody-here', 'not-the-password-at-all');
  t.is(wrong.status, 401);
  t.is(unknown.status, 401);
  const events = await a.db.knex('audit.events').where('action', 'auth.login.failed').select('payload', 'subject_id');
  t.is(events.length, 2);
  t.deepEqual(events.map((e) => e.payload.reason).sort(), ['bad_password', 'unknown_account']);
});

test('state-changing calls with a session need the CSRF token; cross-site origins are refused', async (t) => {
  const a = await app(t);
  const u = await account(a);
  const { c } = await signedIn(a, u.username);
  const noToken = await c.call('DELETE', '/api/v1/me/sessions', undefined, { 'x-csrf-token': '' });
  t.is(noToken.status, 403);
  t.is(((await noToken.json()) as { error: { code: string } }).error.code, 'csrf_failed');
  const forged = await c.call('DELETE', '/api/v1/me/sessions', undefined, { 'x-csrf-token': 'A'.repeat(43) });
  t.is(forged.status, 403);
  const crossSite = await c.call('DELETE', '/api/v1/me/sessions', undefined, { origin: 'http://evil.example.test' });
  t.is(crossSite.status, 403);
  const fetchSite = await c.call('DELETE', '/api/v1/me/sessions', undefined, { 'sec-fetch-site': 'cross-site' });
  t.is(fetchSite.status, 403);
  const anonymousCrossSite = await new ApiClient(a.url).call('POST', '/api/v1/session', { username: 'x', password: 'y', source: 'local' }, { origin: 'http://evil.example.test' });
  t.is(anonymousCrossSite.status, 403, 'login CSRF is refused too');
  t.is((await c.json('GET', '/api/v1/me')).status, 200, 'the session survived the refused calls');
});

test('logout revokes the session server-side: the old cookie replayed gets 401', async (t) => {
  const a = await app(t);
  const u = await account(a);
  const { c } = await signedIn(a, u.username);
  const saved = new Map(c.cookies);
  t.is((await c.call('DELETE', '/api/v1/session')).status, 204);
  const replay = new ApiClient(a.url);
  replay.cookies = saved;
  t.is((await replay.json('GET', '/api/v1/me')).status, 401);
});

test('idle and absolute timeouts end a session', async (t) => {
  const a = await app(t);
  const u = await account(a);
  const idle = await signedIn(a, u.username);
  const absolute = await signedIn(a, u.username);
  const ids = await a.db.knex('sessions').where({ account_id: u.id }).orderBy('created_at').pluck('id');
  await a.db.knex('sessions').where({ id: ids[0] }).update({ idle_expires_at: a.db.knex.raw(`now() - interval '1 second'`) });
  await a.db.knex('sessions').where({ id: ids[1] }).update({ absolute_expires_at: a.db.knex.raw(`now() - interval '1 second'`) });
  t.is((await idle.c.json('GET', '/api/v1/me')).status, 401);
  t.is((await absolute.c.json('GET', '/api/v1/me')).status, 401);
});

test('sign out everywhere revokes every session of the account', async (t) => {
  const a = await app(t);
  const u = await account(a);
  const one = await signedIn(a, u.username);
  const two = await signedIn(a, u.username);
  const r = await one.c.json<{ revoked: number }>('DELETE', '/api/v1/me/sessions');
  t.is(r.body.revoked, 2);
  t.is((await two.c.json('GET', '/api/v1/me')).status, 401);
  t.is((await one.c.json('GET', '/api/v1/me')).status, 401);
});

test('throttling: 429 with Retry-After per account, never a permanent lockout', async (t) => {
  const a = await app(t, { account_max_failures: 3 });
  const u = await account(a);
  for (let i = 0; i < 3; i++) t.is((await signedIn(a, u.username, 'wrong-password-123')).status, 401);
  const c = new ApiClient(a.url);
  const blocked = await c.call('POST', '/api/v1/session', { username: u.username, password: GOOD_PASSWORD, source: 'local' });
  t.is(blocked.status, 429, 'even the right password waits while throttled');
  t.true(Number(blocked.headers.get('retry-after')) >= 1);
  // Time passes: the block lapses and the right password works again.
  await a.db.knex('auth_throttle').update({ blocked_until: a.db.knex.raw(`now() - interval '1 second'`) });
  t.is((await signedIn(a, u.username)).status, 200);
  t.is(await a.db.knex('audit.events').where('action', 'auth.login.failed').count<{ n: string }[]>({ n: '*' }).first().then((r) => Number(r!.n)), 4);
});

test('throttling per source address across accounts', async (t) => {
  const a = await app(t, { address_max_failures: 2, account_max_failures: 50 });
  const u1 = await account(a);
  const u2 = await account(a);
  t.is((await signedIn(a, u1.username, 'wrong-password-123')).status, 401);
  t.is((await signedIn(a, u2.username, 'wrong-password-123')).status, 401);
  t.is((await signedIn(a, u1.username)).status, 429);
});

test('operators must enrol TOTP first: a password-only session reaches nothing else', async (t) => {
  const a = await app(t);
  const op = await account(a, { roles: ['operator'] });
  const { c, state } = await signedIn(a, op.username);
  t.is(state, 'totp_enrolment_required');
  const me = await c.json<{ error: { code: string } }>('GET', '/api/v1/me');
  t.is(me.status, 403);
  t.is(me.body.error.code, 'totp_enrolment_required');
  const before = new Map(c.cookies);
  const { secret, recovery } = await enrol(c);
  t.is(recovery.length, 10);
  t.notDeepEqual(c.cookies, before, 'enrolment issued a new session id');
  t.is((await c.json('GET', '/api/v1/me')).status, 200);
  // The secret is stored encrypted, never in clear.
  const row = await a.db.knex('totp_factors').where({ account_id: op.id }).first();
  t.false(JSON.stringify(row).includes(secret));
});

test('second factor: rotation, each code only once, recovery codes single-use', async (t) => {
  const a = await app(t);
  const op = await account(a, { roles: ['auditor'] });
  const first = await signedIn(a, op.username);
  const { recovery, code } = await enrol(first.c);

  const next = await signedIn(a, op.username);
  t.is(next.state, 'second_factor_required');
  t.is((await next.c.json('GET', '/api/v1/me')).status, 403);
  const partialCookie = new Map(next.c.cookies);
  // The very code used during enrolment is refused: each code works once. (Not "the current
  // code": a 30 s step may have begun since, and the next step's code is rightly accepted.)
  const reused = await next.c.json('POST', '/api/v1/session/second-factor', { code });
  t.is(reused.status, 401);
  const rec = await next.c.json<{ state: string }>('POST', '/api/v1/session/second-factor', { recovery_code: recovery[0] });
  t.is(rec.status, 200);
  t.is(rec.body.state, 'authenticated');
  t.notDeepEqual(next.c.cookies, partialCookie, 'new session id after the second factor');
  const old = new ApiClient(a.url);
  old.cookies = partialCookie;
  t.is((await old.json('GET', '/api/v1/me')).status, 401, 'the pre-2FA session is gone');

  const again = await signedIn(a, op.username);
  t.is((await again.c.json('POST', '/api/v1/session/second-factor', { recovery_code: recovery[0] })).status, 401, 'recovery code used up');
  const me = await next.c.json<{ second_factor: { recovery_codes_left: number } }>('GET', '/api/v1/me');
  t.is(me.body.second_factor.recovery_codes_left, 9);
});

test('changing the second factor needs the password again', async (t) => {
  const a = await app(t);
  const u = await account(a, { roles: ['auditor'] });
  const { c } = await signedIn(a, u.username);
  await enrol(c);
  const wrong = await c.json<{ error: { code: string } }>('POST', '/api/v1/me/totp/enrolment', { password: 'not-my-password-1' });
  t.is(wrong.status, 403);
  t.is(wrong.body.error.code, 'password_incorrect');
  t.is((await c.json('POST', '/api/v1/me/totp/enrolment', { password: GOOD_PASSWORD })).status, 200);
});

test('password reset by mail: single-use, expiring, and it never skips the second factor', async (t) => {
  const a = await app(t);
  const u = await account(a, { roles: ['operator'], email: 'op@example.test' });
  const { c } = await signedIn(a, u.username);
  await enrol(c);
  const anon = new ApiClient(a.url);
  t.is((await anon.json('POST', '/api/v1/password-reset', { username: u.username })).status, 202);
  t.is((await anon.json('POST', '/api/v1/password-reset', { username: 'nobody-at-all' })).status, 202, 'same answer for unknown names');
  // The link is prepared after the answer (the answer must not wait for existence-dependent work).
  let mail = await a.db.knex('mail_outbox').first();
  for (let i = 0; i < 200 && !mail; i++) mail = await new Promise((r) => setTimeout(r, 25)).then(() => a.db.knex('mail_outbox').first());
  t.deepEqual(mail.recipients, ['op@example.test']);
  const text = await a.app.keys.decrypt(a.db.knex, mail.sealed_subject, { table: 'mail_outbox', column: 'text_body', rowId: mail.id }, mail.text_body);
  const token = /token=([A-Za-z0-9_-]+)/.exec(text)![1]!;
  t.false(JSON.stringify(mail).includes(token), 'the outbox holds the link only sealed');
  t.false(JSON.stringify(await a.db.knex('password_resets').select('*')).includes(token), 'only a hash is stored');

  const weak = await anon.json<{ error: { details: Array<{ field: string }> } }>('POST', '/api/v1/password-reset/complete', { token, new_password: 'password1234' });
  t.is(weak.status, 422);
  t.is(weak.body.error.details[0]!.field, 'new_password');
  const newPassword = 'violet-harbour-engine-93';
  t.is((await anon.json('POST', '/api/v1/password-reset/complete', { token, new_password: newPassword })).status, 200);
  t.is((await anon.json('POST', '/api/v1/password-reset/complete', { token, new_password: 'another-fine-pass-11' })).status, 400, 'single use');
  t.is((await c.json('GET', '/api/v1/me')).status, 401, 'existing sessions ended');
  const after = await signedIn(a, u.username, newPassword);
  t.is(after.state, 'second_factor_required', 'the reset did not bypass TOTP');
  t.is((await after.c.json('GET', '/api/v1/me')).status, 403);
});

test('local and directory namespaces never mix: a local jdoe is not the directory jdoe', async (t) => {
  const a = await app(t);
  const dirId = await buildDirectoryAccount(a.db.knex, { username: 'jdoe', roles: ['team_admin'] });
  const local = await account(a, { username: 'jdoe' });
  t.not(local.id, dirId);
  const asLocal = await signedIn(a, 'jdoe');
  t.is(asLocal.state, 'authenticated', 'the local jdoe (employee) needs no TOTP');
  const me = await asLocal.c.json<{ id: string; source: string }>('GET', '/api/v1/me');
  t.is(me.body.id, local.id);
  t.is(me.body.source, 'local');
  const c = new ApiClient(a.url);
  const asDirectory = await c.json('POST', '/api/v1/session', { username: 'jdoe', password: GOOD_PASSWORD, source: 'directory' });
  t.is(asDirectory.status, 401, 'the local password does not open the directory account');
});

test('operators can revoke another account’s sessions; employees cannot', async (t) => {
  const a = await app(t);
  const op = await account(a, { roles: ['operator'] });
  const emp = await account(a);
  const empSession = await signedIn(a, emp.username);
  const opSession = await signedIn(a, op.username);
  await enrol(opSession.c);
  t.is((await empSession.c.json('POST', `/api/v1/accounts/${op.id}/sessions/revoke`)).status, 403);
  t.is((await opSession.c.json('POST', '/api/v1/accounts/00000000-0000-4000-8000-000000000000/sessions/revoke')).status, 404);
  const r = await opSession.c.json<{ revoked: number }>('POST', `/api/v1/accounts/${emp.id}/sessions/revoke`);
  t.is(r.body.revoked, 1);
  t.is((await empSession.c.json('GET', '/api/v1/me')).status, 401);
  const ev = await a.db.knex('audit.events').where({ action: 'auth.session.revoked', subject_id: emp.id }).first();
  t.is(ev.actor_id, op.id);
});

test('the operator console lists users with each role and the group that grants it; others get 404', async (t) => {
  const a = await app(t);
  const op = await account(a, { roles: ['operator'] });
  const emp = await account(a);
  await buildDirectoryAccount(a.db.knex, { username: 'tina', roles: ['team_admin'], team: 'Finance' });
  const opSession = await signedIn(a, op.username);
  await enrol(opSession.c);
  const page = await opSession.c.call('GET', '/operator');
  t.is(page.status, 200);
  const text = await page.text();
  t.true(text.includes('tina'));
  t.true(text.includes('CN=team_admin,OU=Groups,DC=corp,DC=example,DC=test'), 'why tina is a team admin');
  t.true(text.includes('(Finance)'));
  t.regex(text, /id="sync-status"/);
  const empSession = await signedIn(a, emp.username);
  t.is((await empSession.c.call('GET', '/operator', undefined, { accept: 'text/html' })).status, 404);
  // Revoking from the console needs the CSRF token and ends the employee's sessions.
  const form = new URLSearchParams({ _csrf: opSession.c.csrf! });
  const revoke = await fetch(`${a.url}/operator/accounts/${emp.id}/revoke`, {
    method: 'POST', redirect: 'manual',
    headers: { cookie: [...opSession.c.cookies].map(([k, v]) => `${k}=${v}`).join('; '), 'content-type': 'application/x-www-form-urlencoded' },
    body: form.toString(),
  });
  t.is(revoke.status, 302);
  t.is((await empSession.c.json('GET', '/api/v1/me')).status, 401);
});

test('housekeeping deletes stale throttle rows, the sign-in retention long-ended sessions; live ones stay', async (t) => {
  const { purgeExpiredAuthRows } = await import('../../src/identity/housekeeping.js');
  const { signInRecordsRetention } = await import('../../src/identity/retention.js');
  const a = await app(t);
  const u = await account(a);
  await signedIn(a, u.username);
  await signedIn(a, u.username);
  const [oldId, liveId] = await a.db.knex('sessions').orderBy('created_at').pluck('id');
  await a.db.knex('sessions').where({ id: oldId }).update({ revoked_at: a.db.knex.raw(`now() - interval '31 days'`) });
  await a.db.knex('auth_throttle').insert([{ key: 'account:local:stale', failures: 2, first_failure_at: a.db.knex.raw(`now() - interval '2 days'`) }, { key: 'account:local:fresh', failures: 1 }]);
  const r = await purgeExpiredAuthRows(a.db.knex);
  const cutoff = new Date(Date.now() - 30 * 86_400_000);
  const purged = await signInRecordsRetention().purgeBatch(a.db.knex, { asOf: new Date(), cutoff, batchSize: 100, holds: { persons: new Set(), projects: new Set(), customers: new Set(), ranges: [] } });
  t.is(purged.removed.sessions, 1);
  t.is(r.throttles, 1);
  t.deepEqual(await a.db.knex('sessions').pluck('id'), [liveId]);
  t.deepEqual(await a.db.knex('auth_throttle').pluck('key'), ['account:local:fresh']);
});

test('a local account cannot be a team admin: team scopes come from the directory', async (t) => {
  const a = await app(t);
  const err = await t.throwsAsync(account(a, { roles: ['team_admin'] }));
  t.regex(err!.message, /roles \(team admins come from directory groups/);
});
