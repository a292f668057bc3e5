import test from 'ava';
import { currentTotp } from '../../src/identity/totp.js';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { ApiClient } from '../helpers/client.js';
import { buildLocalAccount, GOOD_PASSWORD } from '../helpers/factories.js';

const NEW_PASSWORD = 'violet-harbour-engine-93';

async function signIn(a: TestApp, username: string, password: string): Promise<{ c: ApiClient; state: string }> {
  const c = new ApiClient(a.url);
  const r = await c.json<{ state: string }>('POST', '/api/v1/session', { username, password, source: 'local' });
  if (r.status !== 200) throw new Error(`sign-in: ${r.status}`);
  return { c, state: r.body.state };
}

async function enrol(c: ApiClient, password: string): Promise<void> {
  const start = await c.json<{ secret: string }>('POST', '/api/v1/me/totp/enrolment', { password });
  if (start.status !== 200) throw new Error(`enrolment: ${start.status}`);
  const confirm = await c.json('POST', '/api/v1/me/totp/confirm', { code: await currentTotp(start.body.secret) });
  if (confirm.status !== 200) throw new Error(`confirm: ${confirm.status}`);
}

/** Requests a reset through the API and completes it with the link from the (sealed) outbox. */
async function resetPassword(a: TestApp, username: string): Promise<void> {
  const anon = new ApiClient(a.url);
  await a.db.knex('mail_outbox').delete();
  if ((await anon.json('POST', '/api/v1/password-reset', { username })).status !== 202) throw new Error('reset request');
  let mail = await a.db.knex('mail_outbox').first();
  for (let i = 0; i < 200 && !mail; i++) mail = await new Promise((r) => setTimeout(r, 25)).then(() => a.db.knex('mail_outbox').first());
  const text = await a.app.keys.decrypt(a.db.knex, mail.sealed_subject, { table: 'mail_outbox', column: 'text_body', rowId: mail.id }, mail.text_body);
  const token = /token=([A-Za-z0-9_-]+)/.exec(text)![1]!;
  const done = await anon.json('POST', '/api/v1/password-reset/complete', { token, new_password: NEW_PASSWORD });
  if (done.status !== 200) throw new Error(`reset complete: ${done.status}`);
}

test('a password reset before any second factor holds TOTP enrolment until an operator confirms; both steps are audited', async (t) => {
  const a = await startTestApp(t, { auth: { throttle_base_seconds: 30 } });
  const victim = await buildLocalAccount(a.db.knex, a.app.services.audit, { roles: ['operator'], email: 'new-op@example.test' });
  const op = await buildLocalAccount(a.db.knex, a.app.services.audit, { roles: ['operator'] });
  const emp = await buildLocalAccount(a.db.knex, a.app.services.audit);

  await resetPassword(a, victim.username);
  const taker = await signIn(a, victim.username, NEW_PASSWORD);
  t.is(taker.state, 'totp_enrolment_required');
  const refused = await taker.c.json<{ error: { code: string } }>('POST', '/api/v1/me/totp/enrolment', { password: NEW_PASSWORD });
  t.is(refused.status, 403);
  t.is(refused.body.error.code, 'enrolment_needs_operator');
  t.is((await a.db.knex('totp_factors').where({ account_id: victim.id }).first())?.pending_secret ?? null, null, 'no secret was handed out');
  const page = await (await taker.c.call('GET', '/account/totp', undefined, { accept: 'text/html' })).text();
  t.regex(page, /id="enrolment-held"/, 'the enrolment page says an operator must confirm');
  t.false(/name="password"/.test(page), 'and offers no form');
  const held = await a.db.knex('audit.events').where({ action: 'auth.totp.enrolment_held', subject_id: victim.id }).first();
  t.truthy(held);

  // Only an operator may lift the hold.
  const empSession = await signIn(a, emp.username, GOOD_PASSWORD);
  t.is((await empSession.c.json('POST', `/api/v1/accounts/${victim.id}/totp-enrolment/allow`)).status, 403);
  const opSession = await signIn(a, op.username, GOOD_PASSWORD);
  await enrol(opSession.c, GOOD_PASSWORD);
  t.is((await opSession.c.json('POST', '/api/v1/accounts/00000000-0000-4000-8000-000000000000/totp-enrolment/allow')).status, 404);
  const allowed = await opSession.c.json<{ lifted: boolean }>('POST', `/api/v1/accounts/${victim.id}/totp-enrolment/allow`);
  t.is(allowed.status, 200);
  t.true(allowed.body.lifted);
  const ev = await a.db.knex('audit.events').where({ action: 'auth.totp.enrolment_allowed', subject_id: victim.id }).first();
  t.is(ev.actor_id, op.id);

  await enrol(taker.c, NEW_PASSWORD);
  t.is((await taker.c.json('GET', '/api/v1/me')).status, 200, 'after the operator confirmed, enrolment works');
});

test('the operator console shows the waiting account with a button that lifts the hold', async (t) => {
  const a = await startTestApp(t, { auth: { throttle_base_seconds: 30 } });
  const victim = await buildLocalAccount(a.db.knex, a.app.services.audit, { email: 'w@example.test' });
  const op = await buildLocalAccount(a.db.knex, a.app.services.audit, { roles: ['operator'] });
  await resetPassword(a, victim.username);
  const opSession = await signIn(a, op.username, GOOD_PASSWORD);
  await enrol(opSession.c, GOOD_PASSWORD);
  const page = await (await opSession.c.call('GET', '/operator', undefined, { accept: 'text/html' })).text();
  const action = `/operator/accounts/${victim.id}/allow-enrolment`;
  t.true(page.includes(`action="${action}"`), 'a button for the waiting account');
  t.true(/name="_csrf" value="[^"]+"/.test(page), 'the button posts with the CSRF token');
  const ok = await opSession.c.call('POST', action, undefined, { 'content-type': 'application/x-www-form-urlencoded' });
  t.is(ok.status, 302);
  t.false((await a.db.knex('accounts').where({ id: victim.id }).first()).enrolment_needs_confirmation);
});

test('an account that already had a second factor is not held after a reset', async (t) => {
  const a = await startTestApp(t, { auth: { throttle_base_seconds: 30 } });
  const u = await buildLocalAccount(a.db.knex, a.app.services.audit, { roles: ['auditor'], email: 'aud@example.test' });
  const s = await signIn(a, u.username, GOOD_PASSWORD);
  await enrol(s.c, GOOD_PASSWORD);
  await resetPassword(a, u.username);
  t.false((await a.db.knex('accounts').where({ id: u.id }).first()).enrolment_needs_confirmation);
  t.is((await signIn(a, u.username, NEW_PASSWORD)).state, 'second_factor_required');
});
