/**
 * The retention run against a real PostgreSQL, with the appliance's own handlers:
 * dry run, as-of, holds honoured and audited, the lock between concurrent runs, and
 * a run closing one a crash left behind.
 */
import test from 'ava';
import { fixedClock } from '../../src/platform/clock.js';
import { ValidationError } from '../../src/platform/errors.js';
import { mailOutboxRetention } from '../../src/platform/mail/retention.js';
import { addHold, activeHolds, releaseHold } from '../../src/retention/holds.js';
import { runRetention } from '../../src/retention/run.js';
import { retentionStatus } from '../../src/retention/status.js';
import { auditEvents, retentionWorld, seedAccount, seedSentMails } from './support.js';

const DAY = 86_400_000;

test('a dry run counts what is due and changes nothing; a run removes it per category with one audit event', async (t) => {
  const w = await retentionWorld(t);
  await seedSentMails(w.knex, 3, 45);
  await seedSentMails(w.knex, 2, 5);
  await w.knex.raw(`INSERT INTO mail_outbox (recipients, subject, message_id, status, created_at, text_body) VALUES (ARRAY['x@example.test'], 's', 'pending@test', 'pending', now() - interval '90 days', 'body')`);
  const leaver = await seedAccount(w.knex, { username: 'gone', deactivatedDaysAgo: 400 });
  const recent = await seedAccount(w.knex, { username: 'recent', deactivatedDaysAgo: 10 });
  await w.knex('directory_sync_runs').insert([0, 400, 500].map((d) => ({ started_at: new Date(Date.now() - d * DAY), finished_at: new Date(Date.now() - d * DAY), duration_ms: 1, mode: 'full', trigger: 'test', outcome: 'applied' })));
  await w.knex('sessions').insert([
    { token_hash: Buffer.from('a'), account_id: recent, idle_expires_at: new Date(Date.now() - 40 * DAY), absolute_expires_at: new Date(Date.now() - 40 * DAY), created_at: new Date(Date.now() - 40 * DAY) },
    { token_hash: Buffer.from('b'), account_id: recent, idle_expires_at: new Date(Date.now() + DAY), absolute_expires_at: new Date(Date.now() + DAY) },
  ]);

  const dry = await runRetention(w.deps(), { dryRun: true, startedBy: 'test' });
  t.deepEqual(dry.counts.mail_outbox, { mails: 3 });
  t.deepEqual(dry.counts.leavers, { accounts: 1 });
  t.deepEqual(dry.counts.directory_sync_runs, { runs: 2 });
  t.deepEqual(dry.counts.sign_in_records, { sessions: 1 });
  t.is(await w.knex('mail_outbox').count<{ n: string }[]>({ n: '*' }).first().then((r) => Number(r!.n)), 6, 'a dry run deletes nothing');
  t.deepEqual(await auditEvents(w.knex, 'retention.run'), [], 'a dry run records no audit event');

  // As of 40 days ago the mails sent 45 days ago were 5 days old (not due); of the
  // sync runs only the one 500 days old was past its year.
  const past = await runRetention(w.deps(), { asOf: new Date(Date.now() - 40 * DAY), startedBy: 'test' });
  t.deepEqual(past.counts.mail_outbox, { mails: 0 });
  t.deepEqual(past.counts.directory_sync_runs, { runs: 1 });

  const run = await runRetention(w.deps(), { startedBy: 'cli:tester' });
  t.is(run.status, 'done');
  t.deepEqual(run.counts.mail_outbox, { mails: 3 });
  t.deepEqual(run.counts.leavers, { accounts: 1 });
  t.deepEqual(run.counts.directory_sync_runs, { runs: 1 });
  t.deepEqual(run.counts.sign_in_records, { sessions: 1 });
  t.is(Number((await w.knex('mail_outbox').count<{ n: string }[]>({ n: '*' }).first())!.n), 3, 'recent and pending mail stays');
  t.is(Number((await w.knex('directory_sync_runs').count<{ n: string }[]>({ n: '*' }).first())!.n), 1, 'the newest sync run stays');
  const erased = await w.knex('accounts').where({ id: leaver }).first();
  t.truthy(erased.profile_erased_at);
  t.is(erased.username, `erased-${leaver}`);
  t.is(erased.email, null);
  t.is(erased.display_name, null);
  t.is((await w.knex('accounts').where({ id: recent }).first()).email, 'recent@example.test', 'a recent leaver keeps the profile');

  const events = await auditEvents(w.knex, 'retention.run');
  t.is(events.length, 2, 'one event per real run (the as-of run and this one)');
  t.like(events[1]!.payload, { status: 'done', counts: { mail_outbox: { mails: 3 }, leavers: { accounts: 1 } } });
  t.is(events[1]!.actor_id, 'cli:tester');
  t.false(JSON.stringify(events[1]!.payload).includes('gone'), 'no names in the event');
  const row = await w.knex('retention_runs').where({ id: run.runId }).first();
  t.like(row, { status: 'done', audited: true, dry_run: false });
  t.deepEqual(row.counts.mail_outbox, { mails: 3 });

  const again = await runRetention(w.deps(), { startedBy: 'test' });
  t.deepEqual(again.counts.mail_outbox, { mails: 0 }, 'idempotent: a second run finds nothing');
});

test('a future as-of is refused unless dry, and a dry run as of the future sees more due', async (t) => {
  const w = await retentionWorld(t);
  await seedSentMails(w.knex, 2, 5);
  const future = new Date(Date.now() + 60 * DAY);
  const err = await t.throwsAsync(runRetention(w.deps(), { asOf: future, startedBy: 'test' }), { instanceOf: ValidationError });
  t.regex(JSON.stringify((err as ValidationError).fields), /as_of.*only allowed with a dry run/);
  const dry = await runRetention(w.deps(), { asOf: future, dryRun: true, startedBy: 'test' });
  t.deepEqual(dry.counts.mail_outbox, { mails: 2 });
  t.is(Number((await w.knex('mail_outbox').count<{ n: string }[]>({ n: '*' }).first())!.n), 2);
});

test('legal holds keep what they cover until released; setting and releasing are audited; status lists held items', async (t) => {
  const w = await retentionWorld(t);
  const leaver = await seedAccount(w.knex, { username: 'held', deactivatedDaysAgo: 400 });
  await seedSentMails(w.knex, 4, 45);
  const day45 = new Date(Date.now() - 45 * DAY).toISOString().slice(0, 10);
  const until = new Date(Date.now() + 30 * DAY).toISOString().slice(0, 10);
  const person = await addHold(w.knex, w.services.audit, 'cli:dpo', { target: { kind: 'person', accountId: leaver }, reason: 'tax audit 2026', endsOn: until }, new Date());
  const range = await addHold(w.knex, w.services.audit, 'cli:dpo', { target: { kind: 'range', from: day45, to: day45 }, reason: 'dispute', endsOn: until }, new Date());
  const holds = await activeHolds(w.knex, new Date());
  t.true(holds.persons.has(leaver));
  t.deepEqual(holds.ranges, [{ from: day45, to: day45 }]);

  const status = await retentionStatus(w.knex, w.config.retention, w.handlers, fixedClock(new Date()));
  const byName = new Map(status.categories.map((c) => [c.category, c]));
  t.deepEqual(byName.get('leavers')!.held, { accounts: 1 });
  t.deepEqual(byName.get('mail_outbox')!.held, { mails: 4 });
  t.is(status.active_holds, 2);

  const held = await runRetention(w.deps(), { startedBy: 'test' });
  t.deepEqual(held.counts.leavers, { accounts: 0 });
  t.deepEqual(held.counts.mail_outbox, { mails: 0 });
  t.is((await w.knex('accounts').where({ id: leaver }).first()).email, 'held@example.test');

  // A hold past its end date holds nothing: as of after `until`, it no longer counts.
  t.is((await activeHolds(w.knex, new Date(Date.now() + 31 * DAY))).persons.size, 0);

  await releaseHold(w.knex, w.services.audit, 'cli:dpo', person.id, 'audit closed');
  await releaseHold(w.knex, w.services.audit, 'cli:dpo', range.id, 'settled');
  await t.throwsAsync(releaseHold(w.knex, w.services.audit, 'cli:dpo', range.id, 'again'), { message: /already released/ });
  const released = await runRetention(w.deps(), { startedBy: 'test' });
  t.deepEqual(released.counts.leavers, { accounts: 1 });
  t.deepEqual(released.counts.mail_outbox, { mails: 4 });

  const added = await auditEvents(w.knex, 'retention.hold_added');
  t.deepEqual(added.map((e) => e.payload.kind), ['person', 'range']);
  t.is(added[0]!.subject_id, leaver);
  t.false(JSON.stringify(added).includes('tax audit'), 'the reason stays out of the log');
  t.is((await auditEvents(w.knex, 'retention.hold_released')).length, 2);
});

test('a hold on a missing person or ending in the past is refused naming the field', async (t) => {
  const w = await retentionWorld(t);
  const until = new Date(Date.now() + DAY).toISOString().slice(0, 10);
  await t.throwsAsync(addHold(w.knex, w.services.audit, 'x', { target: { kind: 'person', accountId: '00000000-0000-4000-8000-000000000000' }, reason: 'r', endsOn: until }, new Date()), { message: /person/ });
  const err = await t.throwsAsync(addHold(w.knex, w.services.audit, 'x', { target: { kind: 'range', from: '2020-01-01', to: '2020-02-01' }, reason: 'r', endsOn: '2020-01-01' }, new Date()), { instanceOf: ValidationError });
  t.is((err as ValidationError).fields[0]!.field, 'until');
  t.is(await w.knex('legal_holds').count<{ n: string }[]>({ n: '*' }).first().then((r) => Number(r!.n)), 0);
});

test('two runs at the same moment: one works, the other skips or finds nothing; every mail deleted once, counts add up', async (t) => {
  const w = await retentionWorld(t, { retention: { batch_size: 50 } });
  await seedSentMails(w.knex, 3000, 45);
  const [a, b] = await Promise.all([runRetention(w.deps(), { startedBy: 'node-a' }), runRetention(w.deps(), { startedBy: 'node-b' })]);
  const removed = [a, b].reduce((n, r) => n + (r.counts.mail_outbox?.mails ?? 0), 0);
  t.is(removed, 3000);
  t.is(Number((await w.knex('mail_outbox').count<{ n: string }[]>({ n: '*' }).first())!.n), 0);
  t.true([a.status, b.status].includes('done'));
  const done = await w.knex('retention_runs').where({ dry_run: false }).select('counts');
  t.is(done.reduce((n: number, r: { counts: { mail_outbox?: { mails: number } } }) => n + (r.counts.mail_outbox?.mails ?? 0), 0), 3000, 'the recorded counts add up too');
});

test('while one run holds the lock, a second is skipped and records nothing', async (t) => {
  const w = await retentionWorld(t);
  await seedSentMails(w.knex, 5, 45);
  const holder = await w.knex.transaction();
  t.teardown(() => holder.rollback().catch(() => undefined));
  await holder.raw(`SELECT pg_advisory_xact_lock(hashtext('uurwerk.retention.run'))`);
  const r = await runRetention(w.deps(), { startedBy: 'node-b' });
  t.is(r.status, 'skipped');
  t.is(Number((await w.knex('mail_outbox').count<{ n: string }[]>({ n: '*' }).first())!.n), 5);
  t.is(Number((await w.knex('retention_runs').count<{ n: string }[]>({ n: '*' }).first())!.n), 0);
  await holder.rollback();
  t.is((await runRetention(w.deps(), { startedBy: 'node-b' })).status, 'done');
});

test('handlers alone are idempotent: two nodes purging the same table at once delete each row once', async (t) => {
  const w = await retentionWorld(t);
  await seedSentMails(w.knex, 2000, 45);
  const h = mailOutboxRetention();
  const scope = { asOf: new Date(), cutoff: new Date(Date.now() - 30 * DAY), holds: { persons: new Set<string>(), projects: new Set<string>(), customers: new Set<string>(), ranges: [] }, batchSize: 40 };
  const loop = async () => {
    let n = 0;
    for (;;) {
      const b = await h.purgeBatch(w.knex, scope);
      n += b.removed.mails ?? 0;
      if (b.done) return n;
    }
  };
  const [x, y] = await Promise.all([loop(), loop()]);
  // SKIP LOCKED may end one loop early while the other still holds rows; a last pass finds none left.
  const rest = await loop();
  t.is(x + y + rest, 2000);
  t.is(rest, 0);
});

test('a run left "running" by a crash is closed as failed and audited by the next run, which does the rest', async (t) => {
  const w = await retentionWorld(t);
  await seedSentMails(w.knex, 7, 45);
  const [crashed] = (await w.knex('retention_runs').insert({ as_of: new Date(), started_by: 'system', node: 'dead-node', heartbeat_at: new Date(Date.now() - 3600_000), counts: JSON.stringify({ mail_outbox: { mails: 3 } }) }).returning('id')) as Array<{ id: string }>;
  const r = await runRetention(w.deps(), { startedBy: 'system' });
  t.is(r.recovered, 1);
  t.deepEqual(r.counts.mail_outbox, { mails: 7 });
  t.like(await w.knex('retention_runs').where({ id: crashed!.id }).first(), { status: 'failed', audited: true });
  const events = await auditEvents(w.knex, 'retention.run');
  t.deepEqual(events.map((e) => e.payload.status), ['failed', 'done']);
  t.deepEqual(events[0]!.payload.counts, { mail_outbox: { mails: 3 } });
});

test('a handler that fails (a fake that throws: no real table fails on demand) fails the run; the others still run; the error class only is recorded', async (t) => {
  const w = await retentionWorld(t);
  await seedSentMails(w.knex, 2, 45);
  const broken = { category: 'breaches', oldest: async () => null, plan: async () => ({ due: {}, held: {} }), purgeBatch: async () => { throw new TypeError('secret detail of row 42'); } };
  const r = await runRetention({ ...w.deps(), handlers: [broken, ...w.handlers.filter((h) => h.category !== 'breaches')] }, { startedBy: 'test' });
  t.is(r.status, 'failed');
  t.deepEqual(r.counts.mail_outbox, { mails: 2 });
  t.deepEqual(r.errors, ['breaches: TypeError']);
  const row = await w.knex('retention_runs').where({ id: r.runId }).first();
  t.like(row, { status: 'failed', error: 'breaches: TypeError', audited: true });
  const [event] = await auditEvents(w.knex, 'retention.run');
  t.false(JSON.stringify(event).includes('secret detail'));
});

test('a handler for a category the policy does not know, or two for one category, is refused', async (t) => {
  const w = await retentionWorld(t);
  const stray = { category: 'photos', oldest: async () => null, plan: async () => ({ due: {}, held: {} }), purgeBatch: async () => ({ removed: {}, done: true }) };
  await t.throwsAsync(runRetention({ ...w.deps(), handlers: [stray] }, { startedBy: 'test' }), { message: /unknown category photos/ });
  await t.throwsAsync(runRetention({ ...w.deps(), handlers: [mailOutboxRetention(), mailOutboxRetention()] }, { startedBy: 'test' }), { message: /two retention handlers for mail_outbox/ });
});
