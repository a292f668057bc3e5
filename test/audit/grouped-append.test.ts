import test, { type ExecutionContext } from 'ava';
import { auditSetup, chained } from './helpers.js';
import { AUDIT_ACTIONS } from '../../src/audit/actions.js';
import { verifyDatabase } from '../../src/audit/verify.js';
import { ValidationError } from '../../src/platform/errors.js';
import { createAuditLog } from '../../src/audit/service.js';
import knexFactory from 'knex';

const event = (caller: number, i: number) => ({ action: AUDIT_ACTIONS.personalDataRead, actorId: `acct-${caller}`, subjectId: 'emp-1', object: { type: 'timesheet_day', id: `c${caller}-e${i}` }, payload: { caller, i } });

type Db = Awaited<ReturnType<typeof auditSetup>>['knex'];

/** The actors of the events after `before`, in chain order. */
const actorsAfter = async (knex: Db, before: number): Promise<string[]> =>
  ((await knex('audit.events').where('seq', '>', before).orderBy('seq').select('actor_id')) as Array<{ actor_id: string }>).map((r) => r.actor_id);

/** Sessions of the database left inside a transaction (a pass that did not end its own). */
const idleInTransaction = async (db: Db): Promise<number> =>
  (await db.raw(`SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND state LIKE 'idle in transaction%'`)).rows[0].n as number;

/** The whole chain verifies. */
async function verifies(t: ExecutionContext, knex: Db, trusted: Awaited<ReturnType<typeof auditSetup>>['trusted']): Promise<void> {
  const report = await verifyDatabase(knex, { keys: trusted });
  t.true(report.ok, JSON.stringify(report.problems));
}

/** Holds the advisory lock (k1, k2) in a transaction of its own until `release()`; `held` ends with it. */
function holdLock(knex: Db, k1: number, k2: number): { release: () => void; held: Promise<void> } {
  let release!: () => void;
  const released = new Promise<void>((r) => (release = r));
  const held = knex.transaction(async (trx) => {
    await trx.raw('SELECT pg_advisory_xact_lock(?, ?)', [k1, k2]);
    await released;
  });
  return { release, held };
}

const maxSeq = async (knex: Db) => Number(((await knex('audit.events').max({ m: 'seq' }).first()) as { m: string | null }).m ?? 0);

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
  await verifies(t, knex, trusted);
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
  const actors = await actorsAfter(knex, before);
  t.deepEqual(actors, ['acct-1', 'acct-3'], 'nothing of the refused caller, not even its good event');
});

test('append: a pass the database refuses writes none of its events; a refused row fails its caller alone, any other refusal the whole pass; the next pass chains on', async (t) => {
  const { knex, audit, trusted } = await auditSetup(t);
  await audit.append(event(0, 0));
  const before = await maxSeq(knex);
  // The database refuses what no input check can foresee: a row's data (a CHECK, SQLSTATE 23514) or anything else (P0001).
  await knex.raw(`CREATE FUNCTION audit.test_refuse() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF (NEW.payload->>'bad_row') IS NOT NULL THEN RAISE EXCEPTION 'row refused by the test' USING ERRCODE = 'check_violation'; END IF;
      IF (NEW.payload->>'down') IS NOT NULL THEN RAISE EXCEPTION 'pass refused by the test'; END IF;
      RETURN NEW;
    END $$`);
  await knex.raw('CREATE TRIGGER test_refuse BEFORE INSERT ON audit.events FOR EACH ROW EXECUTE FUNCTION audit.test_refuse()');
  await audit.append(event(1, 0));
  // Three callers together share one pass, which the second one's row breaks: each is tried again alone.
  const rows = await Promise.allSettled([audit.append(event(2, 0)), audit.append({ ...event(3, 0), payload: { bad_row: true } }), audit.append(event(4, 0))]);
  t.deepEqual(rows.map((r) => r.status), ['fulfilled', 'rejected', 'fulfilled'], 'the refused row fails its own caller only');
  t.regex(String((rows[1] as PromiseRejectedResult).reason), /row refused by the test/);
  // Any other refusal fails every caller of the pass: none is told its event is kept.
  const pass = await Promise.allSettled([audit.append(event(5, 0)), audit.append({ ...event(6, 0), payload: { down: true } }), audit.append(event(7, 0))]);
  t.deepEqual(pass.map((r) => r.status), ['rejected', 'rejected', 'rejected']);
  t.regex(String((pass[0] as PromiseRejectedResult).reason), /pass refused by the test/);
  await knex.raw('DROP TRIGGER test_refuse ON audit.events');
  const [after] = await audit.append(event(8, 0));
  const actors = await actorsAfter(knex, before);
  t.deepEqual(actors, ['acct-1', 'acct-2', 'acct-4', 'acct-8'], 'failed passes left nothing; the next ones follow without a hole');
  t.is((await chained(knex, [after!]))[0]!.seq, before + 4);
  t.is(await idleInTransaction(knex), 0, 'no pooled connection was left inside a transaction');
  await verifies(t, knex, trusted);
});

test('append: while one pass commits, the next already waits for the lock and takes whoever came meanwhile', async (t) => {
  const { knex, audit, trusted } = await auditSetup(t);
  const before = await maxSeq(knex);
  // The first pass's insert waits for a lock the test holds, so the second wave arrives while it has not committed.
  await knex.raw(`CREATE FUNCTION audit.test_slow() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN IF EXISTS (SELECT 1 FROM new_rows WHERE (payload->>'slow') IS NOT NULL) THEN PERFORM pg_advisory_xact_lock(7, 7); END IF; RETURN NULL; END $$`);
  await knex.raw('CREATE TRIGGER test_slow AFTER INSERT ON audit.events REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION audit.test_slow()');
  const { release, held: gate } = holdLock(knex, 7, 7);
  await until(knex, `locktype = 'advisory' AND granted AND classid = 7 AND objid = 7`);
  /** Whether a session of this database waits for the advisory lock (k1, k2), polled for up to 10 s. */
  const waitsFor = (k1: number, k2: number) => until(knex, `locktype = 'advisory' AND NOT granted AND classid = ${k1} AND objid = ${k2}`);
  const first = Promise.all([audit.append({ ...event(1, 0), payload: { slow: true } }), audit.append(event(2, 0))]);
  t.true(await waitsFor(7, 7), 'the first pass is inside its insert');
  const second = Promise.all([audit.append(event(3, 0)), audit.append(event(4, 0)), audit.append(event(5, 0))]);
  t.true(await waitsFor(1970631287, 1), 'the second pass sent its BEGIN and lock before the first committed');
  t.true(await waitsFor(7, 7), 'the first has not committed');
  release();
  await gate;
  await Promise.all([first, second]);
  const rows = (await knex('audit.events').where('seq', '>', before).orderBy('seq').select('seq', 'at', 'actor_id')) as Array<{ seq: string; at: Date; actor_id: string }>;
  t.deepEqual(rows.map((r) => r.actor_id), ['acct-1', 'acct-2', 'acct-3', 'acct-4', 'acct-5']);
  t.deepEqual(rows.map((r) => Number(r.seq)), rows.map((_, i) => before + 1 + i), 'gapless');
  const passes = rows.map((r) => r.at.getTime());
  t.is(new Set(passes).size, 2, 'two passes: the first wave, then the second');
  t.true(passes[2]! >= passes[1]!, 'time grows with seq');
  await knex.raw('DROP TRIGGER test_slow ON audit.events');
  await verifies(t, knex, trusted);
});

test('append: callers retried after a refused row keep their place ahead of callers who came later, also with the next pass already waiting', async (t) => {
  const { knex, audit, trusted } = await auditSetup(t);
  const before = await maxSeq(knex);
  // The first pass waits inside its insert for a lock the test holds, then the database refuses its 'bad_row'.
  await knex.raw(`CREATE FUNCTION audit.test_gate() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF EXISTS (SELECT 1 FROM new_rows WHERE (payload->>'slow') IS NOT NULL) THEN PERFORM pg_advisory_xact_lock(7, 7); END IF;
      IF EXISTS (SELECT 1 FROM new_rows WHERE (payload->>'bad_row') IS NOT NULL) THEN RAISE EXCEPTION 'row refused by the test' USING ERRCODE = 'check_violation'; END IF;
      RETURN NULL;
    END $$`);
  await knex.raw('CREATE TRIGGER test_gate AFTER INSERT ON audit.events REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION audit.test_gate()');
  const { release, held: gate } = holdLock(knex, 7, 7);
  t.true(await until(knex, `locktype = 'advisory' AND granted AND classid = 7 AND objid = 7`));
  const first = Promise.allSettled([audit.append({ ...event(1, 0), payload: { slow: true } }), audit.append({ ...event(2, 0), payload: { bad_row: true } }), audit.append(event(3, 0))]);
  t.true(await until(knex, `locktype = 'advisory' AND NOT granted AND classid = 7 AND objid = 7`), 'the first pass is inside its insert');
  const later = Promise.all([audit.append(event(4, 0)), audit.append(event(5, 0))]);
  t.true(await until(knex, `locktype = 'advisory' AND NOT granted AND classid = 1970631287 AND objid = 1`), 'the next pass waits for the append lock');
  release();
  await gate;
  t.deepEqual((await first).map((r) => r.status), ['fulfilled', 'rejected', 'fulfilled'], 'only the refused row\'s caller fails');
  await later;
  const actors = await actorsAfter(knex, before);
  t.deepEqual(actors, ['acct-1', 'acct-3', 'acct-4', 'acct-5'], 'the retried callers before the later ones');
  await knex.raw('DROP TRIGGER test_gate ON audit.events');
  await verifies(t, knex, trusted);
});

/** Polls pg_locks of this database until a row matches `where` (at most 10 s); whether one did. */
async function until(knex: Db, where: string): Promise<boolean> {
  for (let i = 0; i < 200; i++) {
    const { rows } = await knex.raw(`SELECT count(*)::int AS n FROM pg_locks WHERE database = (SELECT oid FROM pg_database WHERE datname = current_database()) AND ${where}`);
    if (rows[0].n > 0) return true;
    await new Promise((r) => setTimeout(r, 50));
  }
  return false;
}

test('append: a pass that times out waiting for the lock rejects its callers, leaves no open transaction, and the next one works', async (t) => {
  const { db, knex, keys, trusted } = await auditSetup(t);
  // The log on a pool whose statements give up after 300 ms.
  const impatient = knexFactory({ client: 'pg', connection: { connectionString: db.url, options: '-c statement_timeout=300' }, pool: { min: 0, max: 2 } });
  t.teardown(() => impatient.destroy());
  const log = createAuditLog(keys, impatient);
  const before = await maxSeq(knex);
  // Another session holds the append lock (a long pass elsewhere).
  const { release, held } = holdLock(knex, 1970631287, 1);
  await new Promise((r) => setTimeout(r, 100));
  const results = await Promise.allSettled([log.append(event(1, 0)), log.append(event(2, 0))]);
  t.deepEqual(results.map((r) => r.status), ['rejected', 'rejected']);
  t.regex(String((results[0] as PromiseRejectedResult).reason), /statement timeout/);
  release();
  await held;
  await log.append(event(3, 0));
  const actors = await actorsAfter(knex, before);
  t.deepEqual(actors, ['acct-3']);
  t.is(await idleInTransaction(impatient), 0, 'the timed-out passes rolled back');
  await verifies(t, knex, trusted);
});

test('append: a caller of more than 4,000 events goes in one pass of several inserts, in order', async (t) => {
  const { knex, audit, trusted } = await auditSetup(t);
  const before = await maxSeq(knex);
  const many = Array.from({ length: 4500 }, (_, i) => event(1, i));
  const [recorded, other] = await Promise.all([audit.append(many), audit.append(event(2, 0))]);
  const seqs = (await chained(knex, recorded)).map((e) => e.seq);
  t.deepEqual(seqs, seqs.map((_, i) => before + 1 + i), 'contiguous, in the order given');
  t.is((await chained(knex, other))[0]!.seq, before + 4501, 'the caller after it follows');
  await verifies(t, knex, trusted);
});

test('append: ids with NUL or a lone surrogate are refused (422 naming the field): stored, they would not read back as hashed', async (t) => {
  const { audit } = await auditSetup(t);
  for (const [field, ev] of [['actorId', { ...event(1, 0), actorId: 'a\u0000b' }], ['object.id', { ...event(1, 0), object: { type: 'x', id: 'a\uD800' } }], ['subjectId', { ...event(1, 0), subjectId: '\uDC00' }]] as const) {
    const err = await t.throwsAsync(audit.append(ev), { instanceOf: ValidationError });
    t.deepEqual(err!.fields.map((f) => f.field), [field]);
  }
});

test('append: events staged by transactions and events appended directly share one gapless chain', async (t) => {
  const { knex, audit, trusted } = await auditSetup(t);
  const before = await maxSeq(knex);
  const staged = knex.transaction((trx) => audit.recordMany(trx, [event(1, 0), event(1, 1)])).then(async (r) => (await audit.flush(), r));
  const appended = Promise.all([audit.append(event(2, 0)), audit.append(event(3, 0))]);
  const [s, a] = await Promise.all([staged, appended]);
  const seqs = [...(await chained(knex, s)), ...(await chained(knex, a.flat()))].map((e) => e.seq).sort((x, y) => x - y);
  t.deepEqual(seqs, [before + 1, before + 2, before + 3, before + 4]);
  await verifies(t, knex, trusted);
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
