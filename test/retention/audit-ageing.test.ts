import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import test from 'ava';
import pg from 'pg';
import { createCheckpoint } from '../../src/audit/checkpoints.js';
import { exportAuditLog } from '../../src/audit/export.js';
import { auditRetentionHandler } from '../../src/audit/retention.js';
import { verifyDatabase, verifyExportFile, type VerifyReport } from '../../src/audit/verify.js';
import type { Knex } from '../../src/platform/db.js';
import type { RetentionHolds, RetentionScope } from '../../src/platform/retention.js';
import { appendEvents, appendEventsAt, auditSetup, tamper } from '../audit/helpers.js';

const NO_HOLDS: RetentionHolds = { persons: new Set(), projects: new Set(), customers: new Set(), ranges: [] };

/** A run on 1 June 2026 with the default 7 years: events written in 2018 are due, 2019 on are not. */
function scope(over: Partial<RetentionScope> = {}): RetentionScope {
  return { asOf: new Date('2026-06-01T00:00:00Z'), cutoff: new Date('2019-06-01T00:00:00Z'), holds: NO_HOLDS, batchSize: 4, ...over };
}

function kinds(r: VerifyReport): string[] {
  return r.problems.map((p) => `${p.kind}@${p.seq ?? '-'}`);
}

/**
 * A log kept for years: seq 1–10 (2018, checkpoint #1), 11–15 (2018, #2), 16–18
 * (2019, #3), 19–20 written now (#4), 21–22 now and not yet checkpointed.
 */
async function agedLog(t: Parameters<typeof auditSetup>[0]) {
  const s = await auditSetup(t);
  const { knex, keyring, audit } = s;
  await appendEventsAt(knex, new Date('2018-03-01T09:00:00Z'), 10, ['emp-1', 'emp-2']);
  await createCheckpoint(knex, keyring);
  await appendEventsAt(knex, new Date('2018-11-01T09:00:00Z'), 5, ['emp-3']);
  await createCheckpoint(knex, keyring);
  await appendEventsAt(knex, new Date('2019-02-01T09:00:00Z'), 3, ['emp-3']);
  await createCheckpoint(knex, keyring);
  await appendEvents(knex, audit, 2);
  await createCheckpoint(knex, keyring);
  await appendEvents(knex, audit, 2);
  return s;
}

async function runToEnd(knex: Knex, sc: RetentionScope): Promise<number> {
  const handler = auditRetentionHandler();
  let removed = 0;
  for (let i = 0; i < 20; i++) {
    const r = await handler.purgeBatch(knex, sc);
    removed += r.removed.events ?? 0;
    if (r.done) return removed;
  }
  throw new Error('ageing did not finish');
}

async function agedEvents(knex: Knex): Promise<Array<Record<string, number>>> {
  const rows = (await knex.withSchema('audit').table('events').where({ action: 'audit.aged' }).orderBy('seq')) as Array<{ payload: Record<string, number> }>;
  return rows.map((r) => r.payload);
}

test('events of a due year go up to the latest checkpoint covering only due events, in checkpoint-aligned batches; the log verifies from that anchor', async (t) => {
  const { knex, keyring, trusted } = await agedLog(t);
  const handler = auditRetentionHandler();
  t.deepEqual(await handler.plan(knex, scope()), { due: { events: 15 }, held: { events: 0 } });
  t.is((await handler.oldest(knex, scope()))?.toISOString(), '2018-03-01T09:00:00.000Z');

  // Batch of 4, but checkpoint #1 covers 10: the first transaction removes its whole segment.
  const first = await handler.purgeBatch(knex, scope());
  t.deepEqual(first, { removed: { events: 10 }, done: false });
  t.true((await verifyDatabase(knex, { keys: trusted })).ok, 'the log verifies between batches');
  // Two nodes at once: the second waits for the first and finds nothing left.
  const [a, b] = await Promise.all([handler.purgeBatch(knex, scope()), handler.purgeBatch(knex, scope())]);
  t.is((a.removed.events ?? 0) + (b.removed.events ?? 0), 5);
  t.true(a.done && b.done);

  const aged = await agedEvents(knex);
  t.deepEqual(aged.map(({ first_seq, last_seq, anchor_checkpoint, events }) => ({ first_seq, last_seq, anchor_checkpoint, events })), [
    { first_seq: 1, last_seq: 10, anchor_checkpoint: 1, events: 10 },
    { first_seq: 11, last_seq: 15, anchor_checkpoint: 2, events: 5 },
  ]);
  const left = (await knex.withSchema('audit').table('events').min({ m: 'seq' }).first()) as { m: string };
  t.is(Number(left.m), 16, 'the 2019 events and everything after stay');
  t.is((await knex.withSchema('audit').table('checkpoints').count({ n: '*' }).first())?.n, '4', 'every checkpoint stays');

  const r = await verifyDatabase(knex, { keys: trusted });
  t.deepEqual(r.problems, []);
  t.true(r.ok);
  t.deepEqual(r.anchor, { checkpoint: 2, firstSeq: 16 });
  t.is(r.from, 16);
  t.is(r.checkpointsChecked, 4, 'checkpoints before the anchor still verify as a chain');

  // The checkpoint job carries on over the aged log, and so does verification.
  t.truthy(await createCheckpoint(knex, keyring));
  t.true((await verifyDatabase(knex, { keys: trusted })).ok);
  t.deepEqual(await handler.plan(knex, scope()), { due: { events: 0 }, held: { events: 0 } });
  t.deepEqual(await handler.purgeBatch(knex, scope()), { removed: { events: 0 }, done: true });
});

test('nothing after the last checkpoint, and never the head, is removed even when all of it is due', async (t) => {
  const { knex, keyring, trusted } = await auditSetup(t);
  await appendEventsAt(knex, new Date('2018-03-01T09:00:00Z'), 6);
  await createCheckpoint(knex, keyring);
  await appendEventsAt(knex, new Date('2018-04-01T09:00:00Z'), 3);
  await createCheckpoint(knex, keyring);
  // Everything is due, checkpoint #2 ends at the head: ageing stops at #1 (seq 6).
  t.is(await runToEnd(knex, scope()), 6);
  t.true((await verifyDatabase(knex, { keys: trusted })).ok);
  const seqs = (await knex.withSchema('audit').table('events').pluck('seq') as Array<string | number>).map(Number).sort((x, y) => x - y);
  t.deepEqual(seqs, [7, 8, 9, 10]);
});

test('tampering after ageing: the first event left deleted (not up to a checkpoint) is a gap from seq 1', async (t) => {
  const { knex, trusted } = await agedLog(t);
  await runToEnd(knex, scope());
  t.true((await verifyDatabase(knex, { keys: trusted })).ok);

  // Not up to a checkpoint: seq 16 (the first left) deleted.
  await tamper(knex, 'DELETE FROM audit.events WHERE seq = 16');
  const r = await verifyDatabase(knex, { keys: trusted });
  t.false(r.ok);
  t.true(kinds(r).includes('gap@1'), kinds(r).join(','));
  t.is(r.anchor, undefined);
});

test('tampering after ageing: a gap after the anchor and an altered checkpoint before it', async (t) => {
  const { knex, trusted } = await agedLog(t);
  await runToEnd(knex, scope());
  await tamper(knex, 'DELETE FROM audit.events WHERE seq = 18');
  let r = await verifyDatabase(knex, { keys: trusted });
  t.deepEqual(kinds(r), ['gap@18']);
  t.deepEqual(r.anchor, { checkpoint: 2, firstSeq: 16 });

  const { knex: k2, trusted: t2 } = await agedLog(t);
  await runToEnd(k2, scope());
  await tamper(k2, `UPDATE audit.checkpoints SET at = at - interval '1 day' WHERE number = 1`);
  r = await verifyDatabase(k2, { keys: t2 });
  t.false(r.ok);
  t.true(r.problems.some((p) => p.checkpoint === 1 && p.kind === 'checkpoint-chain'), kinds(r).join(','));
});

test('deleting the start up to a checkpoint without ageing it is tampering (no audit.aged record)', async (t) => {
  const { knex, trusted } = await agedLog(t);
  await tamper(knex, 'DELETE FROM audit.events WHERE seq <= 10');
  const r = await verifyDatabase(knex, { keys: trusted });
  t.false(r.ok);
  t.deepEqual(kinds(r), ['gap@1']);
  t.regex(r.problems[0]!.message, /no audit\.aged event/);
});

test('the database lets events go only up to a checkpoint, and only through ageing', async (t) => {
  const { knex } = await agedLog(t);
  await t.throwsAsync(knex.withSchema('audit').table('events').where('seq', '<=', 10).delete(), { message: /append-only/ });
  await t.throwsAsync(
    knex.transaction(async (trx) => {
      await trx.raw(`SELECT set_config('uurwerk.audit_age_to', '7', true)`);
      await trx.withSchema('audit').table('events').where('seq', '<=', 7).delete();
    }),
    { message: /only up to a signed checkpoint, by ageing \(bound 7\)/ },
  );
  await t.throwsAsync(
    knex.transaction(async (trx) => {
      await trx.raw(`SELECT set_config('uurwerk.audit_age_to', '10', true)`);
      await trx.withSchema('audit').table('events').where('seq', '<=', 11).delete();
    }),
    { message: /append-only/ },
  );
  await t.throwsAsync(knex.withSchema('audit').table('events').where({ seq: 20 }).update({ actor_id: 'x' }), { message: /append-only/ });
  // The one way in: from the first event left, up to a checkpoint's end.
  await t.throwsAsync(knex.raw('SELECT audit.age_events(1, 7, 7)'), { message: /only up to a signed checkpoint/ });
  await t.throwsAsync(knex.raw('SELECT audit.age_events(5, 10, 10)'), { message: /from its start/ });
  await t.throwsAsync(knex.raw('SELECT audit.age_events(1, 11, 10)'), { message: /not below bound/ });
  await t.throwsAsync(knex.raw(`SELECT set_config('uurwerk.audit_age_to', '', false)`).then(() => knex.raw('DELETE FROM audit.events WHERE seq = 1')), { message: /append-only/ });
  t.is(Number(((await knex.withSchema('audit').table('events').count({ n: '*' }).first()) as { n: string }).n), 22);
});

test('a legal hold stops ageing before the first event about a held person or dated in a held range; released, it goes', async (t) => {
  const { knex, trusted } = await agedLog(t);
  const handler = auditRetentionHandler();
  // emp-3 appears from seq 11: ageing may not pass checkpoint #1 (seq 10).
  const person = scope({ holds: { ...NO_HOLDS, persons: new Set(['emp-3']) } });
  t.deepEqual(await handler.plan(knex, person), { due: { events: 10 }, held: { events: 5 } });
  t.is(await runToEnd(knex, person), 10);
  t.is(Number(((await knex.withSchema('audit').table('events').min({ m: 'seq' }).first()) as { m: string }).m), 11);

  // A range over March 2018 holds seq 1–10 already gone; one over November 2018 holds 11 on.
  const range = scope({ holds: { ...NO_HOLDS, ranges: [{ from: '2018-11-01', to: '2018-11-01' }] } });
  t.deepEqual(await handler.plan(knex, range), { due: { events: 0 }, held: { events: 5 } });
  t.deepEqual(await handler.purgeBatch(knex, range), { removed: { events: 0 }, done: true });

  t.is(await runToEnd(knex, scope()), 5);
  const r = await verifyDatabase(knex, { keys: trusted });
  t.true(r.ok, kinds(r).join(','));
  t.deepEqual(r.anchor, { checkpoint: 2, firstSeq: 16 });
});

test('a hold on the first event keeps everything', async (t) => {
  const { knex } = await agedLog(t);
  const handler = auditRetentionHandler();
  const range = scope({ holds: { ...NO_HOLDS, ranges: [{ from: '2018-01-01', to: '2018-03-01' }] } });
  t.deepEqual(await handler.plan(knex, range), { due: { events: 0 }, held: { events: 15 } });
  t.is(await runToEnd(knex, range), 0);
  t.deepEqual(await agedEvents(knex), []);
});

test('an export of an aged log verifies with the offline verifier; cutting its start does not', async (t) => {
  const { knex, keyring, trusted } = await agedLog(t);
  await runToEnd(knex, scope());
  const dir = mkdtempSync(path.join(tmpdir(), 'aged-export-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const file = path.join(dir, 'audit.jsonl');
  const k = keyring.auditSigningKey();
  await exportAuditLog(knex, file, [{ keyId: k.keyId, publicKey: k.publicKey }]);
  const r = await verifyExportFile(file);
  t.deepEqual(r.problems, []);
  t.true(r.ok);
  t.deepEqual(r.anchor, { checkpoint: 2, firstSeq: 16 });
  t.is(r.checkpointsChecked, 4);
  t.true((await verifyExportFile(file, { keys: trusted })).ok);

  // The same file with seq 16–18 cut out (up to checkpoint #3, which no aged event names).
  const lines = readFileSync(file, 'utf8').trimEnd().split('\n');
  const cut = lines.filter((l) => !/"type":"event","seq":(16|17|18),/.test(l));
  t.is(cut.length, lines.length - 3);
  const cutFile = path.join(dir, 'cut.jsonl');
  writeFileSync(cutFile, cut.join('\n') + '\n');
  const bad = await verifyExportFile(cutFile);
  t.false(bad.ok);
  t.regex(bad.problems.map((p) => p.message).join('; '), /no audit\.aged event records ageing up to it/);
});

test('an app role with the append grant may age only through audit.age_events, never DELETE directly', async (t) => {
  const { db, knex } = await agedLog(t);
  const role = `audit_ager_${randomBytes(4).toString('hex')}`;
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
    await t.throwsAsync(client.query('DELETE FROM audit.events WHERE seq <= 10'), { message: /permission denied/ });
    await client.query('BEGIN');
    await client.query(`SELECT set_config('uurwerk.audit_age_to', '10', true)`);
    await t.throwsAsync(client.query('DELETE FROM audit.events WHERE seq <= 10'), { message: /permission denied/ });
    await client.query('ROLLBACK');
    const r = await client.query<{ n: string }>('SELECT audit.age_events(1, 10, 10) AS n');
    t.is(Number(r.rows[0]!.n), 10);
  } finally {
    await client.end();
  }
});
