import test from 'ava';
import { auditSetup, chained } from './helpers.js';
import { AUDIT_ACTIONS } from '../../src/audit/actions.js';
import { verifyDatabase } from '../../src/audit/verify.js';
import { ValidationError } from '../../src/platform/errors.js';
import { createAuditLog } from '../../src/audit/service.js';
import knexFactory from 'knex';

const event = (caller: number, i: number) => ({ action: AUDIT_ACTIONS.personalDataRead, actorId: `acct-${caller}`, subjectId: 'emp-1', object: { type: 'timesheet_day', id: `c${caller}-e${i}` }, payload: { caller, i } });

const maxSeq = async (knex: Awaited<ReturnType<typeof auditSetup>>['knex']) => Number(((await knex('audit.events').max({ m: 'seq' }).first()) as { m: string | null }).m ?? 0);

test('append: concurrent callers share one transaction; each is chained when its promise resolves, contiguous and in order; the chain verifies', async (t) => {
  const { knex, audit, trusted } = await auditSetup(t);
  const before = await maxSeq(knex);
  const callers = Array.from({ length: 30 }, (_, c) => c);
  // All call in the same tick: the pass takes its group when the chain's head arrives, by then all 30 are queued.
  const results = await Promise.all(callers.map((c) => audit.append(c % 4 === 0 ? [event(c, 0), event(c, 1), event(c, 2)] : event(c, 0))));
  t.is(await knex('audit.pending').count({ n: '*' }).first().then((r) => Number(r!.n)), 0, 'nothing staged: the pass writes the chain directly');
  const rows = (await knex('audit.events').where('seq', '>', before).orderBy('seq').select('seq', 'at', 'actor_id', 'object_id')) as Array<{ seq: string; at: Date; actor_id: string; object_id: string }>;
  t.is(rows.length, callers.reduce((n, c) => n + (c % 4 === 0 ? 3 : 1), 0), 'every event is in the chain without a flush');
  t.deepEqual(rows.map((r) => Number(r.seq)), rows.map((_, i) => before + 1 + i), 'gapless');
  // Each pass stamps its events with its own database clock: one pass for the 30 callers, not 30 commits.
  t.is(new Set(rows.map((r) => r.at.toISOString())).size, 1, 'one pass for callers who came together');
  t.deepEqual([...new Set(rows.map((r) => r.actor_id))], callers.map((c) => `acct-${c}`), 'callers in the order they called');
  for (const [c, recorded] of results.entries()) {
    const seqs = (await chained(knex, recorded)).map((e) => e.seq);
    t.deepEqual(seqs, seqs.map((_, i) => seqs[0]! + i), `caller ${c}'s events are contiguous`);
    t.deepEqual(rows.filter((r) => r.actor_id === `acct-${c}`).map((r) => r.object_id), seqs.map((_, i) => `c${c}-e${i}`), `caller ${c}'s events in the order given`);
  }
  t.deepEqual(await audit.append([]), [], 'an empty append writes nothing');
  const report = await verifyDatabase(knex, { keys: trusted });
  t.true(report.ok, JSON.stringify(report.problems));
});

test('append: personal details are encrypted under the subject key; they read back', async (t) => {
  const { knex, audit } = await auditSetup(t);
  const [recorded] = await audit.append({ ...event(1, 0), action: AUDIT_ACTIONS.loginFailed, personal: { address: '192.0.2.44' } });
  const [row] = await chained(knex, [recorded!]);
  const stored = (await knex('audit.events').where({ seq: row!.seq }).first()) as { personal: string | null };
  t.truthy(stored.personal);
  t.false(String(stored.personal).includes('192.0.2.44'), 'stored encrypted');
  t.deepEqual(await audit.readPersonal(knex, row!.seq), { address: '192.0.2.44' });
});

test('append: a bad event refuses its caller alone (422 naming the field), before anything is written; the others land', async (t) => {
  const { knex, audit } = await auditSetup(t);
  const before = await maxSeq(knex);
  const results = await Promise.allSettled([audit.append(event(1, 0)), audit.append([event(2, 0), { ...event(2, 1), action: 'Not A Name' }]), audit.append(event(3, 0))]);
  t.deepEqual(results.map((r) => r.status), ['fulfilled', 'rejected', 'fulfilled']);
  const err = (results[1] as PromiseRejectedResult).reason as ValidationError;
  t.true(err instanceof ValidationError);
  t.deepEqual(err.fields.map((f) => f.field), ['action']);
  const actors = ((await knex('audit.events').where('seq', '>', before).orderBy('seq').select('actor_id')) as Array<{ actor_id: string }>).map((r) => r.actor_id);
  t.deepEqual(actors, ['acct-1', 'acct-3'], 'nothing of the refused caller, not even its good event');
});

test('append: a pass the database refuses rejects every caller in it and writes none of their events; the next pass chains on', async (t) => {
  const { knex, audit, trusted } = await auditSetup(t);
  await audit.append(event(0, 0));
  const before = await maxSeq(knex);
  // The database refuses one row of the pass (what no input check can foresee: a full disk, a lost connection).
  await knex.raw(`CREATE FUNCTION audit.test_refuse() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN IF (NEW.payload->>'refuse') IS NOT NULL THEN RAISE EXCEPTION 'refused by the test'; END IF; RETURN NEW; END $$`);
  await knex.raw('CREATE TRIGGER test_refuse BEFORE INSERT ON audit.events FOR EACH ROW EXECUTE FUNCTION audit.test_refuse()');
  await audit.append(event(1, 0));
  // Three callers together share one pass, which the second one's row breaks.
  const results = await Promise.allSettled([audit.append(event(2, 0)), audit.append({ ...event(3, 0), payload: { refuse: true } }), audit.append(event(4, 0))]);
  t.deepEqual(results.map((r) => r.status), ['rejected', 'rejected', 'rejected'], 'no caller of the failed pass is told its event is kept');
  t.regex(String((results[0] as PromiseRejectedResult).reason), /refused by the test/);
  await knex.raw('DROP TRIGGER test_refuse ON audit.events');
  const [after] = await audit.append(event(5, 0));
  const actors = ((await knex('audit.events').where('seq', '>', before).orderBy('seq').select('actor_id')) as Array<{ actor_id: string }>).map((r) => r.actor_id);
  t.deepEqual(actors, ['acct-1', 'acct-5'], 'the failed pass left nothing; the next one follows without a hole');
  t.is((await chained(knex, [after!]))[0]!.seq, before + 2);
  const report = await verifyDatabase(knex, { keys: trusted });
  t.true(report.ok, JSON.stringify(report.problems));
});

test('append: events staged by transactions and events appended directly share one gapless chain', async (t) => {
  const { knex, audit, trusted } = await auditSetup(t);
  const before = await maxSeq(knex);
  const staged = knex.transaction((trx) => audit.recordMany(trx, [event(1, 0), event(1, 1)])).then(async (r) => (await audit.flush(), r));
  const appended = Promise.all([audit.append(event(2, 0)), audit.append(event(3, 0))]);
  const [s, a] = await Promise.all([staged, appended]);
  const seqs = [...(await chained(knex, s)), ...(await chained(knex, a.flat()))].map((e) => e.seq).sort((x, y) => x - y);
  t.deepEqual(seqs, [before + 1, before + 2, before + 3, before + 4]);
  const report = await verifyDatabase(knex, { keys: trusted });
  t.true(report.ok, JSON.stringify(report.problems));
});

test('append: when no pass can reach the database, every waiting caller is rejected; none waits for ever', async (t) => {
  const { keys } = await auditSetup(t);
  // A database nobody listens on (port 1 on loopback): each pass fails before the chain's head arrives.
  const unreachable = knexFactory({ client: 'pg', connection: 'postgres://nobody@127.0.0.1:1/none', pool: { min: 0, max: 2 }, acquireConnectionTimeout: 2000 });
  t.teardown(() => unreachable.destroy());
  const log = createAuditLog(keys, unreachable);
  const results = await Promise.allSettled(Array.from({ length: 5 }, (_, c) => log.append(event(c, 0))));
  t.deepEqual(results.map((r) => r.status), ['rejected', 'rejected', 'rejected', 'rejected', 'rejected']);
  t.regex(String((results[0] as PromiseRejectedResult).reason), /ECONNREFUSED|connect/);
  await t.throwsAsync(log.append(event(9, 0)), { message: /ECONNREFUSED|connect/ }, 'a later caller is told too');
});
