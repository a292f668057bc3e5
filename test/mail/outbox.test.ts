import { spawn } from 'node:child_process';
import test from 'ava';
import { waitUntil } from '../helpers/wait.js';
import { parseConfig } from '../../src/platform/config.js';
import { ValidationError } from '../../src/platform/errors.js';
import { startJobs } from '../../src/app/jobs.js';
import { mailModule } from '../../src/platform/mail-module.js';
import { createTransport, deliverDue } from '../../src/platform/mail/delivery.js';
import { mailOutboxRetention } from '../../src/platform/mail/retention.js';
import { MAIL_QUEUES, mailRetryOptions } from '../../src/platform/mail/worker.js';
import { enqueueMail } from '../../src/platform/mail/outbox.js';
import { useTestDatabase, type TestDatabase } from '../helpers/db.js';
import { testLogger } from '../helpers/log.js';
import { selfSignedCert, startSmtp, type TestSmtp } from '../helpers/smtp.js';
import { freePort } from '../helpers/net.js';
import { nodeScript } from '../helpers/env.js';

const logger = testLogger('mail');

function mailConfig(port: number, extra: Record<string, unknown> = {}) {
  return parseConfig({ mail: { host: '127.0.0.1', port, tls: 'none', retry_base_seconds: 1, timeout_seconds: 5, ...extra } }).mail;
}


async function enqueue(db: TestDatabase, n: number, tag = 'm'): Promise<string[]> {
  const ids: string[] = [];
  await db.knex.transaction(async (trx) => {
    for (let i = 0; i < n; i++) ids.push(await enqueueMail(trx, { to: [`user${i}@example.test`], subject: `${tag} ${i}`, text: `body ${i}` }));
  });
  return ids;
}

/** The states of the pg-boss jobs of one outbox message. */
async function jobStates(db: TestDatabase, outboxId: string): Promise<string[]> {
  const { rows } = await db.knex.raw(`SELECT state::text FROM pgboss.job WHERE name = ? AND singleton_key = ? ORDER BY created_on`, [MAIL_QUEUES.send, outboxId]);
  return (rows as Array<{ state: string }>).map((r) => r.state);
}

function closeLater(t: { teardown(fn: () => unknown): void }, smtp: TestSmtp): TestSmtp {
  t.teardown(() => smtp.close());
  return smtp;
}

test('a mail enqueued in a transaction that rolls back is never sent', async (t) => {
  const db = await useTestDatabase(t);
  await t.throwsAsync(db.knex.transaction(async (trx) => {
    await enqueueMail(trx, { to: ['a@example.test'], subject: 'hello', text: 'x' });
    throw new Error('the causing change failed');
  }));
  t.is(Number((await db.knex('mail_outbox').count({ n: '*' }))[0]!.n), 0);
});

test('invalid mail is refused naming the field, and nothing is written', async (t) => {
  const db = await useTestDatabase(t);
  const err = await t.throwsAsync(enqueueMail(db.knex, { to: ['not-an-address'], subject: 'a\r\nBcc: evil@example.test', text: 'x' }), { instanceOf: ValidationError });
  t.deepEqual(err!.fields.map((f) => f.field).sort(), ['mail.subject', 'mail.to.0']);
  t.is(Number((await db.knex('mail_outbox').count({ n: '*' }))[0]!.n), 0);
});

test('pending mail is delivered to a real SMTP server once, with its fixed Message-ID', async (t) => {
  const db = await useTestDatabase(t);
  const smtp = closeLater(t, await startSmtp());
  const [id] = await enqueue(db, 1);
  const config = mailConfig(smtp.port);
  const first = await deliverDue(db.knex, createTransport(config), config, logger);
  t.deepEqual(first, { sent: 1, retried: 0, failed: 0 });
  const second = await deliverDue(db.knex, createTransport(config), config, logger);
  t.deepEqual(second, { sent: 0, retried: 0, failed: 0 });
  t.is(smtp.received.length, 1);
  t.deepEqual(smtp.received[0]!.to, ['user0@example.test']);
  const row = await db.knex('mail_outbox').where('id', id).first();
  t.is(row.status, 'sent');
  t.is(smtp.received[0]!.messageId, row.message_id);
});

test('relay down: a pass stops at the first refused connection; the messages arrive once each when it is back', async (t) => {
  const db = await useTestDatabase(t);
  const port = await freePort();
  await enqueue(db, 3);
  const config = mailConfig(port);
  const down = await deliverDue(db.knex, createTransport(config), config, logger);
  // A refused connection ends the pass: the other messages would fail the same way.
  t.is(down.retried, 1);
  const waiting = await db.knex('mail_outbox').where('attempts', 1).first();
  t.is(waiting.status, 'pending');
  t.truthy(waiting.last_error);

  const smtp = closeLater(t, await startSmtp({ port }));
  const up = await deliverDue(db.knex, createTransport(config), config, logger);
  t.is(up.sent, 3);
  t.is(smtp.received.length, 3);
  t.deepEqual(smtp.received.map((m) => m.to[0]).sort(), ['user0@example.test', 'user1@example.test', 'user2@example.test']);
});

test('retries are pg-boss’s: the message queue’s retry options come from mail.*', (t) => {
  const mail = mailConfig(25, { max_attempts: 12, retry_base_seconds: 30, timeout_seconds: 30 });
  t.deepEqual(mailRetryOptions(mail), { retryLimit: 11, retryDelay: 30, retryBackoff: true, expireInSeconds: 150 });
});

test('relay outage under the job engine: pg-boss retries the message’s job with backoff, and it arrives once when the relay is back', async (t) => {
  const db = await useTestDatabase(t);
  const port = await freePort();
  const config = parseConfig({ database: { url: db.url }, mail: { host: '127.0.0.1', port, tls: 'none', poll_seconds: 1, retry_base_seconds: 1, timeout_seconds: 5 } });
  const engine = await startJobs({ connectionString: db.url, config, logger, modules: [mailModule({ db: db.knex, config, logger, transport: createTransport(config.mail) })] });
  t.teardown(() => engine.stop(2000));
  const [id] = await enqueue(db, 1);
  await waitUntil(async () => (await jobStates(db, id!)).includes('retry'), { timeoutMs: 20_000, what: 'the failed attempt left the job to pg-boss’s retry' });
  t.is((await db.knex('mail_outbox').where({ id }).first()).status, 'pending');
  const smtp = closeLater(t, await startSmtp({ port }));
  await waitUntil(async () => (await db.knex('mail_outbox').where({ id }).first()).status === 'sent', { timeoutMs: 30_000, what: 'delivered after the outage' });
  t.is(smtp.received.length, 1);
  t.true((await db.knex('mail_outbox').where({ id }).first()).attempts >= 2);
  // pg-boss marks the job completed just after the handler's commit.
  await waitUntil(async () => (await jobStates(db, id!)).every((s) => s === 'completed'), { timeoutMs: 5000, what: 'no job left waiting' });
});

test('a permanent rejection under the job engine fails the message for good, without retries', async (t) => {
  const db = await useTestDatabase(t);
  const smtp = closeLater(t, await startSmtp({ mode: 'reject' }));
  const config = parseConfig({ database: { url: db.url }, mail: { host: '127.0.0.1', port: smtp.port, tls: 'none', poll_seconds: 1, retry_base_seconds: 1 } });
  const engine = await startJobs({ connectionString: db.url, config, logger, modules: [mailModule({ db: db.knex, config, logger, transport: createTransport(config.mail) })] });
  t.teardown(() => engine.stop(2000));
  const [id] = await enqueue(db, 1);
  await waitUntil(async () => (await db.knex('mail_outbox').where({ id }).first()).status === 'failed', { timeoutMs: 15_000, what: 'the condition' });
  const row = await db.knex('mail_outbox').where({ id }).first();
  t.is(row.attempts, 1);
  t.is(row.text_body, null, 'emptied when it failed for good');
  await waitUntil(async () => (await jobStates(db, id!)).join() === 'completed', { timeoutMs: 5000, what: 'the job completed; pg-boss will not retry it' });
});

test('a permanent rejection (5xx) marks the message failed without retrying', async (t) => {
  const db = await useTestDatabase(t);
  const smtp = closeLater(t, await startSmtp({ mode: 'reject' }));
  await enqueue(db, 1);
  const config = mailConfig(smtp.port);
  t.deepEqual(await deliverDue(db.knex, createTransport(config), config, logger), { sent: 0, retried: 0, failed: 1 });
  const row = await db.knex('mail_outbox').first();
  t.is(row.status, 'failed');
  t.regex(row.last_error, /550|unavailable/);
});

test('the last allowed attempt gives up instead of retrying forever', async (t) => {
  const db = await useTestDatabase(t);
  await enqueue(db, 1);
  const config = mailConfig(await freePort(), { max_attempts: 2 });
  await deliverDue(db.knex, createTransport(config), config, logger);
  t.is((await deliverDue(db.knex, createTransport(config), config, logger)).failed, 1);
  t.is((await db.knex('mail_outbox').first()).status, 'failed');
});

test('two delivery passes at once never send a message twice', async (t) => {
  const db = await useTestDatabase(t);
  const smtp = closeLater(t, await startSmtp());
  await enqueue(db, 20);
  const config = mailConfig(smtp.port);
  const [a, b] = await Promise.all([
    deliverDue(db.knex, createTransport(config), config, logger),
    deliverDue(db.knex, createTransport(config), config, logger),
  ]);
  t.is(a.sent + b.sent, 20);
  t.is(smtp.received.length, 20);
  t.is(new Set(smtp.received.map((m) => m.messageId)).size, 20);
});

test('kill -9 of the sending process mid-delivery loses nothing and duplicates nothing', async (t) => {
  const db = await useTestDatabase(t);
  const smtp = closeLater(t, await startSmtp({ mode: 'stall' }));
  await enqueue(db, 3);
  const child = spawn(process.execPath, nodeScript('test/helpers/deliver-once.ts'), {
    env: { ...process.env, DB_URL: db.url, SMTP_PORT: String(smtp.port) },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  // Wait until the child has claimed a message and hangs in DATA (the relay never answers).
  await waitUntil(() => smtp.stalled > 0, { timeoutMs: 20_000, what: 'the child process to hang mid-send' });
  const locked = await db.knex.raw(`SELECT count(*)::int AS n FROM pg_locks l JOIN pg_class c ON c.oid = l.relation WHERE c.relname = 'mail_outbox' AND l.mode = 'RowShareLock'`);
  t.true(locked.rows[0].n > 0, 'the child process holds its claimed message when it is killed');
  const exited = new Promise((r) => child.on('exit', r));
  child.kill('SIGKILL');
  await exited;

  smtp.mode = 'accept';
  // The killed process's lock goes with its connection; wait for PostgreSQL to notice.
  const config = mailConfig(smtp.port);
  let sent = 0;
  await waitUntil(async () => (sent += (await deliverDue(db.knex, createTransport(config), config, logger)).sent) >= 3, { timeoutMs: 15_000, intervalMs: 200, what: 'the three messages to be delivered after the kill' });
  const rows = await db.knex('mail_outbox').select('status');
  t.deepEqual(rows.map((r) => r.status), ['sent', 'sent', 'sent']);
  t.is(smtp.received.length, 3, 'each message arrived exactly once');
  t.is(new Set(smtp.received.map((m) => m.messageId)).size, 3);
});

test('STARTTLS is used when the relay offers it, verified against the configured CA', async (t) => {
  const db = await useTestDatabase(t);
  const tls = selfSignedCert();
  const smtp = closeLater(t, await startSmtp({ tls }));
  await enqueue(db, 1);
  const config = mailConfig(smtp.port, { tls: 'require_starttls', ca_file: tls.certFile, host: 'localhost' });
  t.is((await deliverDue(db.knex, createTransport(config), config, logger)).sent, 1);
  t.true(smtp.received[0]!.secure);

  // Without the CA the certificate is not trusted, and the message waits instead.
  await enqueue(db, 1, 'untrusted');
  const untrusted = mailConfig(smtp.port, { tls: 'require_starttls', host: 'localhost' });
  t.is((await deliverDue(db.knex, createTransport(untrusted), untrusted, logger)).retried, 1);
  t.is(smtp.received.length, 1);
});

test('the mail_outbox retention purges delivered mail past its period and keeps the rest', async (t) => {
  const db = await useTestDatabase(t);
  const [oldSent, newSent, pending] = await enqueue(db, 3);
  const emptied = { text_body: null, html_body: null };
  await db.knex('mail_outbox').where('id', oldSent).update({ status: 'sent', sent_at: db.knex.raw(`now() - interval '31 days'`), ...emptied });
  await db.knex('mail_outbox').where('id', newSent).update({ status: 'sent', sent_at: db.knex.fn.now(), ...emptied });
  const holds = { persons: new Set<string>(), projects: new Set<string>(), customers: new Set<string>(), ranges: [] };
  const r = await mailOutboxRetention().purgeBatch(db.knex, { asOf: new Date(), cutoff: new Date(Date.now() - 30 * 86_400_000), holds, batchSize: 100 });
  t.deepEqual(r, { removed: { mails: 1 }, done: true });
  t.deepEqual((await db.knex('mail_outbox').select('id').orderBy('id')).map((r) => r.id).sort(), [newSent, pending].sort());
});

test('two job engines on one database deliver each message once', async (t) => {
  const db = await useTestDatabase(t);
  const smtp = closeLater(t, await startSmtp());
  const config = parseConfig({ database: { url: db.url }, mail: { host: '127.0.0.1', port: smtp.port, tls: 'none', poll_seconds: 1 } });
  const engines = await Promise.all([0, 1].map(() => startJobs({ connectionString: db.url, config, logger, modules: [mailModule({ db: db.knex, config, logger, transport: createTransport(config.mail) })] })));
  t.teardown(() => Promise.all(engines.map((e) => e.stop(2000))));
  await enqueue(db, 10);
  await Promise.all(engines.map((e) => e.nudgeMail()));
  // Done means: every message marked sent and no delivery job of either engine still open,
  // so a duplicate would already have reached the relay.
  await waitUntil(async () => {
    const pending = await db.knex('mail_outbox').whereNot('status', 'sent').count<{ n: string }[]>('* as n');
    const open = await db.knex.raw(`SELECT count(*)::int AS n FROM pgboss.job WHERE name = ? AND state IN ('created', 'retry', 'active')`, [MAIL_QUEUES.send]);
    return Number(pending[0]!.n) === 0 && open.rows[0].n === 0;
  }, { timeoutMs: 30_000, intervalMs: 200, what: 'every message sent and no mail job open' });
  t.is(smtp.received.length, 10);
  t.is(new Set(smtp.received.map((m) => m.messageId)).size, 10);
});
