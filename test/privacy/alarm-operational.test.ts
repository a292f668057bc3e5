import test from 'ava';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { runScheduledDirectorySync } from '../../src/directory/job.js';
import { backupDatabase, findPgTools, openDumpTarget } from '../../src/ops/backup.js';
import { fixedClock, type Clock } from '../../src/platform/clock.js';
import { parseConfig } from '../../src/platform/config.js';
import { startJobEngine } from '../../src/platform/jobs.js';
import { createTransport, deliverDue } from '../../src/platform/mail/delivery.js';
import { enqueueMail } from '../../src/platform/mail/outbox.js';
import type { AlarmDeps } from '../../src/privacy/alarms.js';
import { operationalStatusSection, runOperationalChecks } from '../../src/privacy/operational.js';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { buildOperator } from '../helpers/factories.js';
import { testLogger } from '../helpers/log.js';
import { freePort } from '../helpers/net.js';
import { startSmtp } from '../helpers/smtp.js';
import { waitUntil } from '../helpers/wait.js';

const deps = (a: TestApp, clock: Clock = { now: () => new Date() }): AlarmDeps => ({ db: a.db.knex, config: a.config, keys: a.app.keys, audit: a.app.services.audit, keyring: a.app.keyring, clock });
const openKinds = async (a: TestApp) => ((await a.db.knex('alarms').whereNull('cleared_at').orderBy('kind').pluck('kind')) as string[]);
const hours = (h: number) => fixedClock(new Date(Date.now() + h * 3_600_000));

test('a mail relay that takes no mail for an hour raises one operational alarm, shown on the operator section; delivery clears it', async (t) => {
  const smtp = await startSmtp();
  t.teardown(() => smtp.close());
  const closed = await freePort();
  const a = await startTestApp(t, { mail: { host: '127.0.0.1', port: closed, tls: 'none' } });
  const ops = await buildOperator(a, { email: 'ops@corp.example.test' });
  await a.db.knex.transaction((trx) => enqueueMail(trx, { to: ['someone@corp.example.test'], subject: 'x', text: 'y' }));
  await deliverDue(a.app.db, createTransport(a.config.mail), a.config.mail, testLogger(t.title), { cipher: a.app.keys }).catch(() => undefined);
  t.deepEqual(await runOperationalChecks(deps(a)), { opened: 0, cleared: 0 }, 'waiting a moment is no failure');
  t.deepEqual(await runOperationalChecks(deps(a, hours(1.1))), { opened: 1, cleared: 0 });
  t.deepEqual(await runOperationalChecks(deps(a, hours(1.2))), { opened: 0, cleared: 0 }, 'still down: the same incident');
  t.deepEqual(await openKinds(a), ['mail_relay']);
  const en = String(await operationalStatusSection(a.db.knex, 'en'));
  t.regex(en, /The mail relay has not taken mail/);
  t.regex(String(await operationalStatusSection(a.db.knex, 'nl')), /mailrelay/);
  const page = await (await ops.client.call('GET', '/operator?lang=en')).text();
  t.regex(page, /<h2 id="ops-failures-h">Operational failures<\/h2>\s*<ul id="ops-failures"><li><strong>The mail relay has not taken mail/, 'on the operator page');
  const toOps = (await a.db.knex('mail_outbox').where('subject', 'Uurwerk: operational failure').select('recipients')) as Array<{ recipients: string[] }>;
  t.deepEqual(toOps.map((m) => m.recipients), [['ops@corp.example.test']], 'the operators are told once (the mail waits for the relay)');

  const mailConfig = { ...a.config.mail, port: smtp.port };
  await deliverDue(a.app.db, createTransport(mailConfig), mailConfig, testLogger(t.title), { cipher: a.app.keys });
  t.deepEqual(await runOperationalChecks(deps(a, hours(1.3))), { opened: 0, cleared: 1 });
  t.regex(String(await operationalStatusSection(a.db.knex, 'en')), /None\./);
  t.true(smtp.received.some((m) => m.to.includes('ops@corp.example.test') && m.raw.includes('/operator')));
});

test('a directory sync that fails (server unreachable) raises an operational alarm', async (t) => {
  const a = await startTestApp(t);
  const directory = parseConfig({ directory: { urls: ['ldaps://127.0.0.1:1'], base_dns: ['OU=Staff,DC=corp,DC=example'], timeout_seconds: 2 } }, 'test').directory;
  const r = await runScheduledDirectorySync({ db: a.db.knex, config: directory, audit: a.app.services.audit, logger: testLogger(t.title) }, false);
  t.is(r.outcome, 'failed');
  t.deepEqual(await runOperationalChecks(deps(a)), { opened: 1, cleared: 0 });
  t.deepEqual(await openKinds(a), ['directory_sync']);
});

test('no backup for longer than configured raises an alarm; a real `backup` records itself and clears it', async (t) => {
  const a = await startTestApp(t, { alarms: { backup_max_age_hours: 2 } });
  t.deepEqual(await runOperationalChecks(deps(a)), { opened: 0, cleared: 0 }, 'a new appliance has time for its first backup');
  t.deepEqual(await runOperationalChecks(deps(a, hours(3))), { opened: 1, cleared: 0 });
  t.deepEqual(await openKinds(a), ['backup_age']);
  const dir = mkdtempSync(path.join(tmpdir(), 'uurwerk-alarm-backup-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const target = await openDumpTarget(a.config, testLogger(t.title));
  try {
    t.true((await backupDatabase(target, findPgTools(), path.join(dir, 'db.dump'))).recorded);
  } finally {
    await target.release();
  }
  t.is(Number((await a.db.knex('backup_runs').count<Array<{ n: string }>>('* as n').first())!.n), 1);
  t.deepEqual(await runOperationalChecks(deps(a, hours(1))), { opened: 0, cleared: 1 });
});

test('a background job that fails in pg-boss raises an alarm for its queue', async (t) => {
  const a = await startTestApp(t);
  const queue = 'test.alarm-failing';
  const engine = await startJobEngine({
    connectionString: a.db.url, logger: testLogger(t.title), queues: [],
    jobs: [{ queue, handler: async () => { throw new Error('boom'); }, queueOptions: { retryLimit: 0 }, pollingIntervalSeconds: 0.5 }],
  });
  t.teardown(() => engine.stop(1000));
  await engine.boss.send(queue, {});
  await waitUntil(async () => (await a.db.knex('pgboss.job').where({ name: queue, state: 'failed' }).first()) ?? false, { timeoutMs: 30_000, what: 'the job to fail' });
  t.deepEqual(await runOperationalChecks(deps(a)), { opened: 1, cleared: 0 });
  const alarm = (await a.db.knex('alarms').first('kind', 'key')) as { kind: string; key: string };
  t.deepEqual(alarm, { kind: 'jobs_failing', key: queue });
});
