import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import test from 'ava';
import { createTransport, deliverDue } from '../../src/platform/mail/delivery.js';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { ApiClient } from '../helpers/client.js';
import { buildLocalAccount } from '../helpers/factories.js';
import { testLogger } from '../helpers/log.js';
import { startSmtp, type ReceivedMail, type TestSmtp } from '../helpers/smtp.js';

/** The text of a received mail with quoted-printable soft breaks and escapes undone. */
function decoded(m: ReceivedMail): string {
  return m.raw.replace(/=\r?\n/g, '').replace(/=([0-9A-F]{2})/g, (_, h: string) => String.fromCharCode(parseInt(h, 16)));
}

function tokenIn(m: ReceivedMail): string {
  const token = /password-reset\?token=([A-Za-z0-9_-]+)/.exec(decoded(m))?.[1];
  if (!token) throw new Error('no reset link in the received mail');
  return token;
}

async function smtpAndApp(t: Parameters<typeof startTestApp>[0], jobs: boolean): Promise<{ a: TestApp; smtp: TestSmtp }> {
  const smtp = await startSmtp();
  t.teardown(() => smtp.close());
  const a = await startTestApp(t, { mail: { host: '127.0.0.1', port: smtp.port, tls: 'none', poll_seconds: 2 } }, { jobs });
  return { a, smtp };
}

async function until(cond: () => boolean | Promise<boolean>, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (await cond()) return true;
    await new Promise((r) => setTimeout(r, 50));
  }
  return cond();
}

test('a reset link rests only sealed in the outbox (pg_dump), reaches the real SMTP server intact, and the body is emptied once sent', async (t) => {
  const { a, smtp } = await smtpAndApp(t, false);
  const u = await buildLocalAccount(a.db.knex, a.app.services.audit, { email: 'reset-me@example.test' });
  t.is((await new ApiClient(a.url).json('POST', '/api/v1/password-reset', { username: u.username })).status, 202);

  t.true(await until(async () => (await a.db.knex('mail_outbox').first()) !== undefined, 5000), 'the mail is prepared after the answer');
  const pending = await a.db.knex('mail_outbox').first();
  t.is(pending.status, 'pending');
  t.is(pending.sealed_subject, 'system:mail-outbox');
  t.false(String(pending.text_body).includes('password-reset'), 'no link in clear in the row');
  const pendingDump = execFileSync('/usr/bin/pg_dump', ['--data-only', a.db.url], { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024, stdio: ['ignore', 'pipe', 'ignore'] });

  const result = await deliverDue(a.db.knex, createTransport(a.config.mail), a.config.mail, testLogger(t.title), { cipher: a.app.keys });
  t.deepEqual(result, { sent: 1, retried: 0, failed: 0 });
  t.is(smtp.received.length, 1);
  t.deepEqual(smtp.received[0]!.to, ['reset-me@example.test']);
  const token = tokenIn(smtp.received[0]!);
  t.true(decoded(smtp.received[0]!).includes(u.username), 'the text that left is the one enqueued');
  t.false(pendingDump.includes(token), 'the token is not in a dump taken while the mail waited');
  t.false(pendingDump.includes('password-reset?token='), 'nor is the link');

  const sent = await a.db.knex('mail_outbox').first();
  t.is(sent.status, 'sent');
  t.is(sent.text_body, null);
  t.is(sent.html_body, null);
  const resets = await a.db.knex('password_resets').select('token_hash');
  t.is(resets.length, 1);
  t.deepEqual(resets[0]!.token_hash, createHash('sha256').update(token).digest(), 'only the hash of the token is stored');
  const after = execFileSync('/usr/bin/pg_dump', ['--data-only', a.db.url], { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024, stdio: ['ignore', 'pipe', 'ignore'] });
  t.false(after.includes(token));
  // The link in the mail works: the body survived sealing and opening unchanged.
  t.is((await new ApiClient(a.url).json('POST', '/api/v1/password-reset/complete', { token, new_password: 'violet-harbour-engine-93' })).status, 200);
});

test('a finished message cannot keep its body (database constraint)', async (t) => {
  const { a } = await smtpAndApp(t, false);
  const u = await buildLocalAccount(a.db.knex, a.app.services.audit, { email: 'x@example.test' });
  await new ApiClient(a.url).json('POST', '/api/v1/password-reset', { username: u.username });
  await until(async () => (await a.db.knex('mail_outbox').first()) !== undefined, 5000);
  await t.throwsAsync(a.db.knex('mail_outbox').update({ status: 'sent' }), { message: /mail_outbox_emptied_when_finished/ });
});

test('a reset mail reaches the real SMTP server within seconds of the request, not at the next scheduled pass', async (t) => {
  const { a, smtp } = await smtpAndApp(t, true);
  const u = await buildLocalAccount(a.db.knex, a.app.services.audit, { email: 'quick@example.test' });
  // Let the engine's start-up pass go by, so only the request's own notification can deliver it.
  await new Promise((r) => setTimeout(r, 500));
  t.is((await new ApiClient(a.url).json('POST', '/api/v1/password-reset', { username: u.username })).status, 202);
  // A correctness bound, not a benchmark: the scheduled pass would take up to a minute.
  t.true(await until(() => smtp.received.length === 1, 15_000), 'delivered within 15 s');
  tokenIn(smtp.received[0]!);
  t.true(await until(async () => (await a.db.knex('mail_outbox').first()).status === 'sent', 5000));
});
