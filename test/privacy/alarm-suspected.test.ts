import { chainStaged } from '../../src/audit/chainer.js';
import test from 'ava';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { openCoreServices } from '../../src/app/services.js';
import { parseConfig } from '../../src/platform/config.js';
import { runCli } from '../helpers/cli.js';
import { useTestDatabase } from '../helpers/db.js';
import { createCheckpoint } from '../../src/audit/checkpoints.js';
import { fixedClock, type Clock } from '../../src/platform/clock.js';
import { createTransport, deliverDue } from '../../src/platform/mail/delivery.js';
import type { AlarmDeps } from '../../src/privacy/alarms.js';
import { runSuspectedChecks } from '../../src/privacy/suspected.js';
import type { BreachView } from '../../src/privacy/schema.js';
import { appendEvents, tamper } from '../audit/helpers.js';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { buildDay, buildDpo, buildEmployee, buildOperator, buildPerson, buildProject, buildTeamAdmin, localDate } from '../helpers/factories.js';
import { testLogger } from '../helpers/log.js';
import { startSmtp } from '../helpers/smtp.js';

const deps = (a: TestApp, clock: Clock = { now: () => new Date() }): AlarmDeps => ({ db: a.db.knex, config: a.config, keys: a.app.keys, audit: a.app.services.audit, keyring: a.app.keyring, clock });

const openKinds = async (a: TestApp) => ((await a.db.knex('alarms').whereNull('cleared_at').orderBy('kind').pluck('kind')) as string[]);

test('a tampered audit row raises one suspected breach, mailed to privacy officers and operators with a link only, at a real SMTP server; a continuing failure is not a new incident', async (t) => {
  const smtp = await startSmtp();
  t.teardown(() => smtp.close());
  const a = await startTestApp(t, { mail: { host: '127.0.0.1', port: smtp.port, tls: 'none' } });
  const dpo = await buildDpo(a, { email: 'dpo@corp.example.test' });
  await buildOperator(a, { email: 'ops@corp.example.test' });
  t.deepEqual(await runSuspectedChecks(deps(a)), { opened: 0, cleared: 0 }, 'a healthy appliance raises nothing');

  await a.app.services.audit.flush(); // chain what the calls before staged, as a request's answer would have waited for
  const victim = (await a.db.knex('audit.events').orderBy('seq', 'desc').first('seq')) as { seq: string };
  await tamper(a.db.knex, `UPDATE audit.events SET payload = '{"forged": true}'::jsonb WHERE seq = ?`, [victim.seq]);
  t.deepEqual(await runSuspectedChecks(deps(a)), { opened: 1, cleared: 0 });
  t.deepEqual(await runSuspectedChecks(deps(a)), { opened: 0, cleared: 0 }, 'the same condition on the next run: no second incident');
  t.deepEqual(await openKinds(a), ['audit_verify']);

  const breaches = await dpo.client.json<{ breaches: BreachView[] }>('GET', '/api/v1/privacy/breaches');
  t.is(breaches.body.breaches.length, 1);
  const entry = breaches.body.breaches[0]!;
  t.is(entry.status, 'suspected');
  t.regex(entry.what_happened, /Audit log verification failed/);

  await deliverDue(a.app.db, createTransport(a.config.mail), a.config.mail, testLogger(t.title), { cipher: a.app.keys });
  t.deepEqual(smtp.received.map((m) => m.to[0]).sort(), ['dpo@corp.example.test', 'ops@corp.example.test']);
  for (const m of smtp.received) {
    const body = m.raw.replace(/=\r?\n/g, '');
    t.regex(body, /Audit log verification failed/);
    t.true(body.includes(`/privacy/breaches/${entry.id}`), 'links to the entry');
    t.false(body.includes('forged'), 'no content of the log');
  }
  await a.app.services.audit.flush(); // chain what the calls before staged, as a request's answer would have waited for
  const raised = await a.db.knex('audit.events').where({ action: 'privacy.alarm.raised' }).select('payload');
  t.is(raised.length, 1);
  t.like(raised[0]!.payload, { kind: 'audit_verify', mails: 2 });
});

test('a key canary that no longer decrypts raises an alarm; when it decrypts again the incident closes', async (t) => {
  const a = await startTestApp(t);
  const [row] = (await a.db.knex('key_canaries').select('kek_version', 'ciphertext')) as Array<{ kek_version: number; ciphertext: Buffer }>;
  const broken = Buffer.from(row!.ciphertext);
  broken[broken.length - 1]! ^= 0xff;
  await a.db.knex('key_canaries').where({ kek_version: row!.kek_version }).update({ ciphertext: broken });
  t.deepEqual(await runSuspectedChecks(deps(a)), { opened: 1, cleared: 0 });
  t.deepEqual(await openKinds(a), ['key_canary']);
  t.truthy(await a.db.knex('alarms').whereNotNull('breach_id').first(), 'a suspected entry was opened');
  await a.db.knex('key_canaries').where({ kek_version: row!.kek_version }).update({ ciphertext: row!.ciphertext });
  t.deepEqual(await runSuspectedChecks(deps(a)), { opened: 0, cleared: 1 });
  t.deepEqual(await openKinds(a), []);
});

test('a checkpoint job that did not run raises an alarm; a checkpoint clears it', async (t) => {
  const a = await startTestApp(t);
  await createCheckpoint(a.db.knex, a.app.keyring);
  await buildEmployee(a); // events after the checkpoint
  t.deepEqual(await runSuspectedChecks(deps(a)), { opened: 0, cleared: 0 }, 'just checkpointed');
  const later = fixedClock(new Date(Date.now() + (a.config.alarms.checkpoint_late_minutes + 5) * 60_000));
  t.deepEqual(await runSuspectedChecks(deps(a, later)), { opened: 1, cleared: 0 }, 'the hourly checkpoint has not run for over two hours');
  t.deepEqual(await openKinds(a), ['checkpoint_missed']);
  await createCheckpoint(a.db.knex, a.app.keyring);
  t.deepEqual(await runSuspectedChecks(deps(a)), { opened: 0, cleared: 1 });
});

test("an admin reading many of other people's days raises an alarm naming no one in its mail", async (t) => {
  const a = await startTestApp(t, { alarms: { reads_per_window: 3 } });
  const admin = await buildTeamAdmin(a, { team: 'team-a' });
  const emp = await buildEmployee(a, { team: 'team-a' });
  const { projectId } = await buildProject(a, { by: admin, team: 'team-a' });
  for (const back of [1, 2]) await buildDay(emp, { projectId, state: 'submitted', date: localDate(back) });
  t.is((await admin.client.json('GET', '/api/v1/days')).status, 200);
  t.deepEqual(await runSuspectedChecks(deps(a)), { opened: 0, cleared: 0 }, 'two reads: under the threshold');
  await buildDay(emp, { projectId, state: 'submitted', date: localDate(3) });
  t.is((await admin.client.json('GET', '/api/v1/days')).status, 200);
  t.deepEqual(await runSuspectedChecks(deps(a)), { opened: 1, cleared: 0 });
  const alarm = (await a.db.knex('alarms').first('kind', 'key', 'detail')) as { kind: string; key: string; detail: { reads: number } };
  t.is(alarm.kind, 'admin_reads');
  t.is(alarm.key, admin.id);
  t.true(alarm.detail.reads >= 3);
  const mails = (await a.db.knex('mail_outbox').select('subject')) as Array<{ subject: string }>;
  for (const m of mails) t.false(m.subject.includes(admin.username));
});

test('many failed sign-ins for one account raise an alarm keyed by a hash, not the user name', async (t) => {
  const a = await startTestApp(t, { alarms: { failed_signins_account: 3 } });
  const emp = await buildEmployee(a);
  for (let i = 0; i < 3; i++) {
    const r = await fetch(`${a.url}/api/v1/session`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: emp.username, password: 'wrong-password-123', source: 'local' }) });
    t.is(r.status, 401);
  }
  t.deepEqual(await runSuspectedChecks(deps(a)), { opened: 1, cleared: 0 });
  const alarm = (await a.db.knex('alarms').first('kind', 'key')) as { kind: string; key: string };
  t.is(alarm.kind, 'failed_signins');
  t.regex(alarm.key, /^account:[0-9a-f]{16}$/);
  t.false(alarm.key.includes(emp.username));
});

test('a mass export (many exports by one account within the window) raises an alarm', async (t) => {
  const a = await startTestApp(t, { alarms: { exports_per_window: 3 } });
  const pay = await buildPerson(a, ['payroll']);
  const d = localDate(5);
  for (let i = 0; i < 3; i++) t.is((await pay.client.json('GET', `/api/v1/payroll?from=${d}&to=${d}`)).status, 200);
  t.deepEqual(await runSuspectedChecks(deps(a)), { opened: 1, cleared: 0 });
  t.deepEqual(await openKinds(a), ['mass_export']);
  const later = fixedClock(new Date(Date.now() + (a.config.alarms.window_minutes + 1) * 60_000));
  t.deepEqual(await runSuspectedChecks({ ...deps(a, later) }), { opened: 0, cleared: 1 }, 'out of the window: closed');
});

test('`uurwerk audit:verify` that finds damage opens one suspected entry; a clean whole-log run closes it', async (t) => {
  const db = await useTestDatabase(t);
  const dir = mkdtempSync(path.join(tmpdir(), 'uurwerk-alarm-cli-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const dataDir = path.join(dir, 'data');
  const { keyring, audit } = await openCoreServices(parseConfig({ data_dir: dataDir, database: { url: db.url } }, 'test'), db.knex, testLogger(t.title));
  await appendEvents(db.knex, audit, 4);
  await createCheckpoint(db.knex, keyring);
  const config = path.join(dir, 'config.yaml');
  writeFileSync(config, `data_dir: ${dataDir}\ndatabase:\n  url: ${db.url}\nlog:\n  level: warn\n`);
  const env = { UURWERK_CONFIG: '' };
  t.is((await runCli(['audit:verify', '--config', config], { env, timeoutMs: 240_000 })).code, 0);
  t.is(await db.knex('alarms').count<Array<{ n: string }>>('* as n').first().then((r) => Number(r!.n)), 0);

  await chainStaged(db.knex); // chain what the calls before staged, as a request's answer would have waited for
  const original = (await db.knex('audit.events').where({ seq: 3 }).first('payload')) as { payload: unknown };
  await tamper(db.knex, `UPDATE audit.events SET payload = '{"i": 99}' WHERE seq = 3`);
  for (let i = 0; i < 2; i++) t.is((await runCli(['audit:verify', '--config', config], { env, timeoutMs: 240_000 })).code, 1);
  const rows = (await db.knex('alarms').select('kind', 'key', 'breach_id', 'cleared_at')) as Array<{ kind: string; key: string; breach_id: string | null; cleared_at: Date | null }>;
  t.is(rows.length, 1, 'two failing runs, one incident');
  t.like(rows[0], { kind: 'audit_verify', key: 'cli:audit-log', cleared_at: null });
  t.truthy(rows[0]!.breach_id);
  t.is(await db.knex('privacy_breaches').count<Array<{ n: string }>>('* as n').first().then((r) => Number(r!.n)), 1);

  await tamper(db.knex, 'UPDATE audit.events SET payload = ?::jsonb WHERE seq = 3', [JSON.stringify(original.payload)]);
  t.is((await runCli(['audit:verify', '--config', config], { env, timeoutMs: 240_000 })).code, 0, 'the row put back');
  t.truthy((await db.knex('alarms').first('cleared_at'))!.cleared_at, 'the incident is closed');
});
