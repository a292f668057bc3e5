/**
 * Failures a real Samba cannot produce on demand, played by a SCRIPTED FAKE
 * directory (test/helpers/fake-directory.ts). Each test first syncs 20 users from
 * the fake for real, then switches the script: every failure must change nothing,
 * record the error on the run, and tell the operators.
 */
import test, { type ExecutionContext } from 'ava';
import type { SyncProblemCode } from '../../src/directory/errors.js';
import { runScheduledDirectorySync } from '../../src/directory/job.js';
import { runDirectorySync } from '../../src/directory/service.js';
import { useTestDatabase, type TestDatabase } from '../helpers/db.js';
import { FAKE_BASE, fakeUserDn, scriptedFakeDirectory, type FakeScript, type ScriptedFakeDirectory } from '../helpers/fake-directory.js';
import { testLogger } from '../helpers/log.js';
import { arrayAuditRecorderStandIn, directoryConfig } from './support.js';

const logger = testLogger('directory-fake');

async function setup(t: ExecutionContext): Promise<{ db: TestDatabase; fake: ScriptedFakeDirectory; sync: (opts?: { full?: boolean }) => ReturnType<typeof runDirectorySync> }> {
  const db = await useTestDatabase(t);
  const fake = await scriptedFakeDirectory({ kind: 'users', count: 20 });
  t.teardown(() => fake.stop());
  const config = directoryConfig({ urls: [fake.url], allow_plain_ldap: true, base_dns: [`OU=Staff,${FAKE_BASE}`], page_size: 8, timeout_seconds: 3 });
  const sync = (opts: { full?: boolean } = {}) => runDirectorySync(db.knex, { config, audit: arrayAuditRecorderStandIn(), logger }, { trigger: 'test', actorId: 'system', ...opts });
  const first = await sync();
  t.is(first.outcome, 'applied', JSON.stringify(first.problem));
  t.is(first.counts.created, 20);
  // An operator with a mail address, so "the operators are told" can be checked.
  const [op] = await db.knex('accounts').insert({ source: 'local', username: 'ops', email: 'ops@example.test' }).returning('id');
  await db.knex('role_assignments').insert({ account_id: (op as { id: string }).id, role: 'operator', reason: 'local operator', source: 'local' });
  return { db, fake, sync };
}

async function snapshot(db: TestDatabase) {
  return {
    accounts: await db.knex('accounts').orderBy('id').select('id', 'status', 'username', 'dn'),
    roles: await db.knex('role_assignments').orderBy(['account_id', 'role', 'reason']).select('account_id', 'role', 'reason'),
  };
}

async function expectNothingChanged(t: ExecutionContext, script: FakeScript, code: SyncProblemCode) {
  const { db, fake, sync } = await setup(t);
  const before = await snapshot(db);
  fake.script = script;
  const r = await sync({ full: true });
  t.is(r.outcome, 'failed');
  t.is(r.problem?.code, code, r.problem?.message);
  t.deepEqual(await snapshot(db), before);
  const run = await db.knex('directory_sync_runs').orderBy('started_at', 'desc').first();
  t.is(run.outcome, 'failed');
  t.is(run.error_code, code);
  t.truthy(run.error);
  const mail = await db.knex('mail_outbox').first();
  t.deepEqual(mail?.recipients, ['ops@example.test']);
  return r;
}

test('scripted fake directory: a successful search with zero entries deactivates nobody and mails the operators', async (t) => {
  const { db, fake, sync } = await setup(t);
  const before = await snapshot(db);
  fake.script = { kind: 'empty' };
  const r = await sync({ full: true });
  t.is(r.outcome, 'blocked');
  t.is(r.problem?.code, 'zero_users');
  t.deepEqual(await snapshot(db), before);
  const run = await db.knex('directory_sync_runs').orderBy('started_at', 'desc').first();
  t.is(run.error_code, 'zero_users');
  t.deepEqual((await db.knex('mail_outbox').first())?.recipients, ['ops@example.test']);
});

test('scripted fake directory: a connection dropped in the middle of a paged search changes nothing', async (t) => {
  const r = await expectNothingChanged(t, { kind: 'drop-mid-page', count: 20 }, 'connection_lost');
  t.regex(r.problem!.message, /connection lost/);
});

test('scripted fake directory: a referral to a dead host is not followed and changes nothing', async (t) => {
  const r = await expectNothingChanged(t, { kind: 'referral', to: 'ldap://127.0.0.1:1/OU=Staff,DC=elsewhere,DC=test' }, 'referral');
  t.regex(r.problem!.message, /referral/);
});

test('scripted fake directory: size limit exceeded (an incomplete result) changes nothing', async (t) => {
  await expectNothingChanged(t, { kind: 'size-limit', count: 5 }, 'size_limit');
});

test('scripted fake directory: the first sync read all 20 users over pages of 8', async (t) => {
  const { db, fake } = await setup(t);
  // 20 users in pages of 8: three paged requests.
  t.is(fake.userSearches, 3);
  t.is(Number((await db.knex('accounts').where({ source: 'directory' }).count<{ n: string }[]>({ n: '*' }))[0]!.n), 20);
});

test('scripted fake directory: the scheduled job runs an incremental sync, and refuses without an audit log', async (t) => {
  const { db, fake } = await setup(t);
  const config = directoryConfig({ urls: [fake.url], allow_plain_ldap: true, base_dns: [`OU=Staff,${FAKE_BASE}`], page_size: 8 });
  await t.throwsAsync(runScheduledDirectorySync({ db: db.knex, config, logger }, false), { message: /audit log is not wired/ });
  const audit = arrayAuditRecorderStandIn();
  const r = await runScheduledDirectorySync({ db: db.knex, config, logger, audit }, false);
  t.is(r.outcome, 'applied');
  t.is(r.mode, 'incremental');
  const run = await db.knex('directory_sync_runs').orderBy('started_at', 'desc').first();
  t.is(run.trigger, 'schedule');
  t.true(audit.events.some((e) => e.action === 'directory.sync.applied' && e.actorId === 'system'));
});

test('scripted fake directory: an error while writing rolls the whole sync back and is recorded as a failed run', async (t) => {
  const { db, fake } = await setup(t);
  fake.script = { kind: 'users', count: 25 };
  const before = await snapshot(db);
  const config = directoryConfig({ urls: [fake.url], allow_plain_ldap: true, base_dns: [`OU=Staff,${FAKE_BASE}`], page_size: 8 });
  const standIn = arrayAuditRecorderStandIn();
  // Stand-in that fails at the end of the apply transaction, after every row was written.
  const failing = {
    events: standIn.events,
    record: standIn.record,
    recordMany: async (trx: Parameters<typeof standIn.recordMany>[0], es: Parameters<typeof standIn.recordMany>[1]) => {
      if (es.some((e) => e.action === 'directory.sync.applied')) throw new Error('audit log unavailable');
      return standIn.recordMany(trx, es);
    },
  };
  const r = await runDirectorySync(db.knex, { config, audit: failing, logger }, { trigger: 'test', actorId: 'system', full: true });
  t.is(r.outcome, 'failed');
  t.is(r.problem?.code, 'apply_failed');
  t.deepEqual(await snapshot(db), before);
  t.true(standIn.events.some((e) => e.action === 'directory.sync.failed'));
  const run = await db.knex('directory_sync_runs').orderBy('started_at', 'desc').first();
  t.is(run.error_code, 'apply_failed');
});

test('scripted fake directory: a group whose members come in ranges (AD hands out 1,500 at a time; Samba all at once) is read whole', async (t) => {
  const db = await useTestDatabase(t);
  const fake = await scriptedFakeDirectory({ kind: 'users', count: 25 });
  t.teardown(() => fake.stop());
  const group = `CN=Everyone,OU=Groups,${FAKE_BASE}`;
  fake.groups = [{ dn: group, guid: 1, members: Array.from({ length: 25 }, (_, i) => fakeUserDn(i + 1)) }];
  fake.rangeSize = 10;
  const config = directoryConfig({ urls: [fake.url], allow_plain_ldap: true, base_dns: [`OU=Staff,${FAKE_BASE}`], page_size: 8, roles: { employee_groups: [group] } });
  const r = await runDirectorySync(db.knex, { config, audit: arrayAuditRecorderStandIn(), logger }, { trigger: 'test', actorId: 'system', full: true });
  t.is(r.outcome, 'applied', JSON.stringify(r.problem));
  t.is(Number((await db.knex('role_assignments').where({ role: 'employee', reason: group }).count<{ n: string }[]>({ n: '*' }))[0]!.n), 25);
  t.is((await db.knex('directory_groups').first()).members.length, 25);
});
