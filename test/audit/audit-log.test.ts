import test from 'ava';
import pg from 'pg';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { createAuditLog } from '../../src/audit/service.js';
import { createCheckpoint, AuditIntegrityError } from '../../src/audit/checkpoints.js';
import { verifyDatabase, type VerifyReport } from '../../src/audit/verify.js';
import { eventHash } from '../../src/audit/canonical.js';
import { AUDIT_ACTIONS } from '../../src/audit/actions.js';
import { ValidationError } from '../../src/platform/errors.js';
import { KeyShreddedError } from '../../src/keys/errors.js';
import { appendEvents, auditSetup, chained, tamper } from './helpers.js';

function kinds(r: VerifyReport): string[] {
  return r.problems.map((p) => `${p.kind}@${p.seq ?? '-'}`);
}


test('appended events form one chain from seq 1 that verifies, with personal details encrypted', async (t) => {
  const { knex, audit, trusted } = await auditSetup(t);
  const recorded = await appendEvents(knex, audit, 7);
  t.deepEqual(recorded.map((r) => r.seq), [1, 2, 3, 4, 5, 6, 7]);
  const rows = await knex.withSchema('audit').table('events').orderBy('seq');
  t.is(rows[0].prev_hash, '0'.repeat(64));
  t.is(rows[1].prev_hash, rows[0].hash);
  t.is(rows[0].at.getTime(), new Date(recorded[0]!.at).getTime());
  t.truthy(rows[0].personal);
  t.false(String(rows[0].personal).includes('192.0.2.7'), 'personal details are not stored in clear');
  t.is(rows[1].personal, null);
  t.deepEqual(await audit.readPersonal(knex, 1), { ip: '192.0.2.7', typedUsername: 'user-0' });
  const report = await verifyDatabase(knex, { keys: trusted });
  t.deepEqual(report.problems, []);
  t.true(report.ok);
  t.is(report.eventsChecked, 7);
});

test('a rolled-back transaction leaves no event and no hole in the sequence', async (t) => {
  const { knex, audit, trusted } = await auditSetup(t);
  await appendEvents(knex, audit, 2);
  await t.throwsAsync(
    knex.transaction(async (trx) => {
      await audit.record(trx, { action: AUDIT_ACTIONS.configChanged, actorId: 'cli:root', payload: { key: 'mail.host' } });
      throw new Error('the change failed');
    }),
    { message: 'the change failed' },
  );
  const r = await knex.transaction((trx) => audit.record(trx, { action: AUDIT_ACTIONS.configChanged, actorId: 'cli:root' }));
  await audit.flush();
  t.is((await chained(knex, [r]))[0]!.seq, 3);
  t.is(Number((await knex('audit.pending').count({ n: '*' }).first())!.n), 0, 'nothing of the rolled-back caller stays staged');
  t.true((await verifyDatabase(knex, { keys: trusted })).ok);
});

test('record refuses bad input and calls outside a transaction', async (t) => {
  const { knex, audit } = await auditSetup(t);
  await t.throwsAsync(audit.record(knex as never, { action: 'auth.login.succeeded', actorId: 'a' }), { message: /inside the transaction/ });
  await knex.transaction(async (trx) => {
    await t.throwsAsync(audit.record(trx, { action: 'Login', actorId: 'a' }), { instanceOf: ValidationError });
    await t.throwsAsync(audit.record(trx, { action: 'auth.login.failed', actorId: 'a', personal: { ip: '1' } }), { instanceOf: ValidationError, message: /subjectId/ });
    await t.throwsAsync(audit.record(trx, { action: 'auth.login.failed', actorId: 'a', payload: { n: Number.NaN } }), { instanceOf: ValidationError });
    await t.throwsAsync(audit.record(trx, { action: 'auth.login.failed', actorId: 'a', payload: { big: 2 ** 60 } }), { instanceOf: ValidationError });
    await t.throwsAsync(audit.record(trx, { action: 'auth.login.failed', actorId: 'a', payload: { when: new Date() } }), { instanceOf: ValidationError });
  });
});

test('edited payload (triggers bypassed by a superuser) → verify names that exact seq', async (t) => {
  const { knex, audit, trusted } = await auditSetup(t);
  await appendEvents(knex, audit, 8);
  await tamper(knex, `UPDATE audit.events SET payload = jsonb_set(payload, '{reason}', '"innocent"') WHERE seq = 5`);
  const r = await verifyDatabase(knex, { keys: trusted });
  t.false(r.ok);
  t.deepEqual(kinds(r), ['edited@5']);
  t.regex(r.problems[0]!.message, /seq 5/);
});

test('edited and re-hashed row → the broken link after it, and the checkpoint over it, name it', async (t) => {
  const { knex, audit, keyring, trusted } = await auditSetup(t);
  await appendEvents(knex, audit, 6);
  t.truthy(await createCheckpoint(knex, keyring));
  const row = await knex.withSchema('audit').table('events').where({ seq: 6 }).first();
  const forged = { ...row, seq: 6, at: row.at.toISOString(), actor_id: 'someone-else' };
  await tamper(knex, 'UPDATE audit.events SET actor_id = ?, hash = ? WHERE seq = 6', ['someone-else', eventHash(forged)]);
  const r1 = await verifyDatabase(knex, { keys: trusted });
  t.deepEqual(kinds(r1), ['checkpoint-head@6']);

  const row3 = await knex.withSchema('audit').table('events').where({ seq: 3 }).first();
  await tamper(knex, 'UPDATE audit.events SET action = ?, hash = ? WHERE seq = 3', ['auth.logout.succeeded', eventHash({ ...row3, seq: 3, at: row3.at.toISOString(), action: 'auth.logout.succeeded' })]);
  const r2 = await verifyDatabase(knex, { keys: trusted });
  t.deepEqual(kinds(r2), ['broken-link@4', 'checkpoint-head@6']);
  t.regex(r2.problems[0]!.message, /seq 3 was edited and re-hashed/);
});

test('deleted tail → detected through the last checkpoint', async (t) => {
  const { knex, audit, keyring, trusted } = await auditSetup(t);
  await appendEvents(knex, audit, 10);
  const cp = await createCheckpoint(knex, keyring);
  t.is(cp?.last_seq, 10);
  await tamper(knex, 'DELETE FROM audit.events WHERE seq > 7');
  const r = await verifyDatabase(knex, { keys: trusted });
  t.false(r.ok);
  t.deepEqual(kinds(r), ['tail-deleted@8']);
  t.regex(r.problems[0]!.message, /seq 8 to 10 were deleted/);
  // The next checkpoint refuses to paper over it.
  await t.throwsAsync(createCheckpoint(knex, keyring), { instanceOf: AuditIntegrityError });
});

test('a gap in the middle → named', async (t) => {
  const { knex, audit, trusted } = await auditSetup(t);
  await appendEvents(knex, audit, 9);
  await tamper(knex, 'DELETE FROM audit.events WHERE seq IN (4, 5)');
  const r = await verifyDatabase(knex, { keys: trusted });
  t.deepEqual(kinds(r), ['gap@4']);
  t.regex(r.problems[0]!.message, /seq 4 to 5 are missing/);
});

test('two rows with swapped seq → reported as reordered, both named', async (t) => {
  const { knex, audit, trusted } = await auditSetup(t);
  await appendEvents(knex, audit, 8);
  await tamper(knex, 'UPDATE audit.events SET seq = 1000 WHERE seq = 3; UPDATE audit.events SET seq = 3 WHERE seq = 4; UPDATE audit.events SET seq = 4 WHERE seq = 1000');
  const r = await verifyDatabase(knex, { keys: trusted });
  t.deepEqual(kinds(r), ['reordered@3', 'reordered@4']);
  t.regex(r.problems[0]!.message, /seq 3 holds the event written as seq 4/);
});

test('--from/--to verifies a range and still finds damage inside it', async (t) => {
  const { knex, audit, trusted } = await auditSetup(t);
  await appendEvents(knex, audit, 12);
  await tamper(knex, `UPDATE audit.events SET object_id = 'x' WHERE seq = 9`);
  const early = await verifyDatabase(knex, { keys: trusted, from: 2, to: 6 });
  t.true(early.ok);
  t.is(early.eventsChecked, 5);
  const late = await verifyDatabase(knex, { keys: trusted, from: 8, to: 10 });
  t.deepEqual(kinds(late), ['edited@9']);
});

test('UPDATE, DELETE and TRUNCATE are refused for a superuser, also with session_replication_role = replica', async (t) => {
  const { knex, audit, keyring } = await auditSetup(t);
  await appendEvents(knex, audit, 3);
  t.truthy(await createCheckpoint(knex, keyring), 'a checkpoint row, so row triggers on checkpoints have something to fire on');
  for (const replica of [false, true]) {
    for (const sql of ['UPDATE audit.events SET actor_id = \'x\' WHERE seq = 1', 'DELETE FROM audit.events WHERE seq = 3', 'TRUNCATE audit.events', 'TRUNCATE audit.checkpoints', 'DELETE FROM audit.checkpoints']) {
      const err = await t.throwsAsync(
        knex.transaction(async (trx) => {
          const su = await trx.raw<{ rows: Array<{ rolsuper: boolean }> }>('SELECT rolsuper FROM pg_roles WHERE rolname = current_user');
          t.true(su.rows[0]!.rolsuper, 'the test connects as a superuser');
          if (replica) await trx.raw('SET LOCAL session_replication_role = replica');
          await trx.raw(sql);
        }),
      );
      t.regex(err!.message, /append-only/, `${sql} (replica=${replica})`);
    }
  }
  t.is((await knex.withSchema('audit').table('events').count({ n: '*' }))[0]!.n, '3');
});

test('inserting out of order or with a forged prev_hash is refused by the database', async (t) => {
  const { knex, audit } = await auditSetup(t);
  await appendEvents(knex, audit, 2);
  const row = await knex.withSchema('audit').table('events').where({ seq: 2 }).first();
  const base = { ...row, id: '00000000-0000-4000-8000-000000000001', hash: 'f'.repeat(64), payload: '{}' };
  await t.throwsAsync(knex.withSchema('audit').table('events').insert({ ...base, seq: 5 }), { message: /out of order/ });
  await t.throwsAsync(knex.withSchema('audit').table('events').insert({ ...base, seq: 3, prev_hash: 'a'.repeat(64) }), { message: /forks the chain/ });
  // The guard checks a pass's rows as one set (migration 20261205010000): a batch is
  // refused whole when any row in it breaks the rule, wherever that row stands.
  const batch = (n: number) => Array.from({ length: n }, (_, i) => ({ ...base, id: `00000000-0000-4000-8000-00000000001${i}`, seq: 3 + i, hash: String(i + 1).repeat(64), prev_hash: i === 0 ? row.hash : String(i).repeat(64) }));
  const forked = batch(3);
  forked[2]!.prev_hash = 'b'.repeat(64);
  await t.throwsAsync(knex.withSchema('audit').table('events').insert(forked), { message: /forks the chain at seq 5/ });
  const gap = batch(3);
  gap[2]!.seq = 6;
  await t.throwsAsync(knex.withSchema('audit').table('events').insert(gap), { message: /out of order/ });
  await t.throwsAsync(knex.withSchema('audit').table('events').insert(batch(3).map((r) => ({ ...r, seq: r.seq - 1 }))), { message: /duplicate key|out of order/ }, 'a batch that overwrites the head');
  t.is(Number((await knex.withSchema('audit').table('events').max({ m: 'seq' }))[0]!.m), 2, 'nothing of a refused batch stays');
  await knex.withSchema('audit').table('events').insert(batch(3));
  t.is(Number((await knex.withSchema('audit').table('events').max({ m: 'seq' }))[0]!.m), 5, 'a well-formed batch is appended');
});

test('an app role with the audit grant can append and read but not UPDATE/DELETE/TRUNCATE', async (t) => {
  const { db, knex } = await auditSetup(t);
  const role = `audit_app_${randomBytes(4).toString('hex')}`;
  const password = randomBytes(12).toString('hex');
  await knex.raw(`CREATE ROLE ${role} LOGIN PASSWORD '${password}' IN ROLE uurwerk_audit_append`);
  t.teardown(async () => {
    await db.drop();
    const admin = new pg.Client({ connectionString: db.url.replace(/\/[^/]+$/, '/postgres') });
    await admin.connect();
    await admin.query(`DROP ROLE IF EXISTS ${role}`);
    await admin.end();
  });
  const url = new URL(db.url);
  url.username = role;
  url.password = password;
  const client = new pg.Client({ connectionString: url.toString() });
  await client.connect();
  try {
    await client.query('SELECT count(*) FROM audit.events');
    for (const sql of ["UPDATE audit.events SET actor_id = 'x'", 'DELETE FROM audit.events', 'TRUNCATE audit.events']) {
      await t.throwsAsync(client.query(sql), { message: /permission denied/ }, sql);
    }
    await t.throwsAsync(client.query('SET session_replication_role = replica'), { message: /permission denied/ });
  } finally {
    await client.end();
  }
});

test('50 concurrent transactions append one unbroken chain', async (t) => {
  const { knex, keys, trusted } = await auditSetup(t);
  const audit = createAuditLog(keys, knex);
  const recorded = await Promise.all(
    Array.from({ length: 50 }, (_, i) =>
      knex.transaction(async (trx) => {
        // Some work in the same transaction before the record, as a real caller would.
        await trx.raw('SELECT pg_sleep(?)', [Math.random() * 0.02]);
        return audit.record(trx, { action: AUDIT_ACTIONS.loginSucceeded, actorId: `acct-${i}`, subjectId: `acct-${i}`, personal: i % 5 ? null : { ip: `198.51.100.${i}` } });
      }),
    ),
  );
  await audit.flush();
  const results = await chained(knex, recorded);
  t.deepEqual(results.map((r) => r.seq).sort((a, b) => a - b), Array.from({ length: 50 }, (_, i) => i + 1));
  const report = await verifyDatabase(knex, { keys: trusted });
  t.deepEqual(report.problems, []);
  t.is(report.eventsChecked, 50);
});

test('the chain still verifies after a subject is shredded; their personal details are gone', async (t) => {
  const { knex, audit, keys, keyring, trusted } = await auditSetup(t);
  await appendEvents(knex, audit, 6, ['emp-1', 'emp-2']);
  await createCheckpoint(knex, keyring);
  t.deepEqual(await audit.readPersonal(knex, 1), { ip: '192.0.2.7', typedUsername: 'user-0' });
  t.true((await keys.shred(knex, 'emp-1')) > 0);
  await audit.flush();
  await t.throwsAsync(audit.readPersonal(knex, 1), { instanceOf: KeyShreddedError });
  const shredEvent = await knex.withSchema('audit').table('events').orderBy('seq', 'desc').first();
  t.like(shredEvent, { seq: '7', action: AUDIT_ACTIONS.dataKeysShredded, subject_id: 'emp-1', personal: null }, 'the shred itself is in the log');
  t.deepEqual(await audit.readPersonal(knex, 4), { ip: '192.0.2.7', typedUsername: 'user-3' }, 'emp-2 is untouched');
  const r = await verifyDatabase(knex, { keys: trusted });
  t.deepEqual(r.problems, []);
});

test('checkpoints: skipped when nothing is new, chained, and a tampered signature or range is detected', async (t) => {
  const { knex, audit, keyring, trusted } = await auditSetup(t);
  t.is(await createCheckpoint(knex, keyring), null, 'empty log: nothing to sign');
  await appendEvents(knex, audit, 3);
  const c1 = await createCheckpoint(knex, keyring);
  t.is(await createCheckpoint(knex, keyring), null, 'nothing new');
  await appendEvents(knex, audit, 2);
  const c2 = await createCheckpoint(knex, keyring);
  t.like(c1, { number: 1, first_seq: 1, last_seq: 3 });
  t.like(c2, { number: 2, first_seq: 4, last_seq: 5, prev_checkpoint_hash: c1!.hash });
  t.true((await verifyDatabase(knex, { keys: trusted })).ok);

  const other = generateKeyPairSync('ed25519');
  t.deepEqual(kinds(await verifyDatabase(knex, { keys: [{ keyId: trusted[0]!.keyId, publicKey: other.publicKey }] })), ['checkpoint-signature@-', 'checkpoint-signature@-']);
  t.deepEqual(kinds(await verifyDatabase(knex, { keys: [{ keyId: 'someone-elses', publicKey: other.publicKey }] })), ['checkpoint-key@-', 'checkpoint-key@-']);

  const sig = Buffer.from(c2!.signature, 'base64');
  sig[10] = sig[10]! ^ 1;
  await tamper(knex, 'UPDATE audit.checkpoints SET signature = ? WHERE number = 2', [sig.toString('base64')]);
  const r = await verifyDatabase(knex, { keys: trusted });
  t.deepEqual(r.problems.map((p) => `${p.kind}#${p.checkpoint}`), ['checkpoint-signature#2']);

  // Pulling a checkpoint back to hide a later deletion breaks its hash and signature.
  await tamper(knex, 'UPDATE audit.checkpoints SET signature = ?, last_seq = 4 WHERE number = 2', [c2!.signature]);
  const r2 = await verifyDatabase(knex, { keys: trusted });
  t.deepEqual(r2.problems.map((p) => `${p.kind}#${p.checkpoint}`), ['checkpoint-chain#2', 'checkpoint-signature#2', 'checkpoint-head#2']);
});

test('a checkpoint refuses to sign a segment that was tampered with since the last one', async (t) => {
  const { knex, audit, keyring } = await auditSetup(t);
  await appendEvents(knex, audit, 4);
  await createCheckpoint(knex, keyring);
  await appendEvents(knex, audit, 3);
  await tamper(knex, `UPDATE audit.events SET actor_id = 'x' WHERE seq = 6`);
  await t.throwsAsync(createCheckpoint(knex, keyring), { instanceOf: AuditIntegrityError, message: /seq 6/ });
  t.is((await knex.withSchema('audit').table('checkpoints').count({ n: '*' }))[0]!.n, '1');
});
