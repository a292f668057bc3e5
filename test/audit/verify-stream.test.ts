import test from 'ava';
import { randomUUID } from 'node:crypto';
import { auditSetup, tamper } from './helpers.js';
import { AUDIT_ACTIONS } from '../../src/audit/actions.js';
import { eventHash, eventHashReference, GENESIS_HASH, type AuditEventRow } from '../../src/audit/canonical.js';
import { AuditIntegrityError, createCheckpoint } from '../../src/audit/checkpoints.js';
import { copyOutInSnapshot } from '../../src/audit/export-copy.js';
import { EVENT_COLUMNS, eventLine, eventLineOf, forEachLine, lineBlocks, lineVerdict, parseEventRow, rowHash } from '../../src/audit/export-rows.js';
import { EVENT_LINE_SQL } from '../../src/audit/export.js';
import { eventsInRange, headAndClock, insertEvents } from '../../src/audit/repository.js';
import { recordPlainEvents } from '../../src/audit/service.js';
import { verifyDatabase, type VerifyReport } from '../../src/audit/verify.js';
import { checkChainByCopy } from '../../src/audit/verify-stream.js';
import type { Knex } from '../../src/platform/db.js';

const kinds = (r: VerifyReport): string[] => r.problems.map((p) => `${p.kind}@${p.seq ?? ''}`);

const AWKWARD = ['quote " and backslash \\ and \\" together', 'line\nbreak\ttab\rcr', 'é ü 漢字 🙂', '\u2028\u2029', '\u0001\u001f\u007f', '\\N', '\\', 'tab\tend\\t'];

/** Appends rows with awkward text in every text column, odd times and payloads, chained with the generic serialiser. */
async function appendAwkward(db: Knex): Promise<void> {
  await db.transaction(async (trx) => {
    const head = await headAndClock(trx);
    let prev = head.hash ?? GENESIS_HASH;
    const times = ['2026-01-01T00:00:00.000Z', '2026-01-01T00:00:10.100Z', '2026-01-01T00:00:10.120Z', '2026-01-01T00:00:10.123Z', '1999-12-31T23:59:59.999Z'];
    const rows: AuditEventRow[] = AWKWARD.map((s, i) => {
      const row: Omit<AuditEventRow, 'hash'> = {
        seq: head.seq + 1 + i, id: randomUUID(), at: times[i % times.length]!, actor_id: `acct-${s}`,
        subject_id: i % 2 ? null : s, action: AUDIT_ACTIONS.timesheetEntryCreated, object_type: i % 3 ? s : null, object_id: i % 2 ? s : null,
        payload: { s, [s]: i, b: 1, a: { zz: [s, null, true], Z: 0.1, é: -0.5, '🙂': 1.25e-7, '\uffff': 5e-324, n: 9007199254740991 } },
        personal: i % 2 ? null : `enc:${s}`, prev_hash: prev,
      };
      prev = eventHashReference(row);
      return { ...row, hash: prev };
    });
    await insertEvents(trx, rows);
  });
}

test('awkward rows: the hash bytes Node writes from COPY text equal the generic serialiser, and its export lines equal the ones PostgreSQL builds', async (t) => {
  const { knex, audit, keyring, trusted } = await auditSetup(t);
  await knex.transaction((trx) => audit.record(trx, { action: AUDIT_ACTIONS.loginFailed, actorId: 'acct-1', subjectId: 'acct-1', personal: { typed: 'x"y\\z' }, payload: { n: [1, 2] } }));
  await audit.flush();
  await appendAwkward(knex);
  const report = await verifyDatabase(knex, { keys: trusted });
  t.true(report.ok, JSON.stringify(report.problems));
  t.is(report.eventsChecked, AWKWARD.length + 1);
  t.truthy(await createCheckpoint(knex, keyring), 'the checkpoint verifies the same rows');

  await knex.transaction(async (trx) => {
    const lines: string[] = [];
    for await (const block of lineBlocks(copyOutInSnapshot(trx, `SELECT ${EVENT_COLUMNS} FROM audit.events ORDER BY seq`, ''))) forEachLine(block, (l) => lines.push(l));
    const parsed = lines.map(parseEventRow);
    const rows: AuditEventRow[] = [];
    for await (const r of eventsInRange(trx, 1, 1000)) rows.push(r);
    t.is(parsed.length, rows.length);
    t.deepEqual(parsed.map((p) => rowHash(p)), rows.map((r) => eventHashReference(r)), 'hash bytes equal');
    t.deepEqual(parsed.map((p) => rowHash(p)), rows.map((r) => r.hash));
    const built = (await trx.raw<{ rows: Array<{ line: string }> }>(`SELECT ${EVENT_LINE_SQL} AS line FROM audit.events ORDER BY seq`)).rows.map((r) => r.line + '\n');
    t.deepEqual(parsed.map(eventLine), built, 'export lines byte-equal');
    t.deepEqual(lines.map(eventLineOf), built, 'export lines written straight from COPY text byte-equal');
    t.deepEqual(lines.map((l) => lineVerdict(l)), rows.map((r) => ({ seq: r.seq, prevHash: r.prev_hash, hash: r.hash, ok: true })), 'every row verifies straight from COPY text');
  });
});

test('thousands of events over many COPY chunks: an edit, a swap and a gap deep in the log are named by exact seq; the checkpoint refuses', async (t) => {
  const { knex, audit, keyring, trusted } = await auditSetup(t);
  const big = 'x'.repeat(300);
  for (let i = 0; i < 3; i++) {
    await knex.transaction((trx) => recordPlainEvents(trx, Array.from({ length: 2000 }, (_, j) => ({ action: AUDIT_ACTIONS.timesheetEntryCreated, actorId: `acct-${j % 7}`, payload: { j, big, é: '漢字🙂' } }))));
  }
  await audit.flush();
  const intact = await verifyDatabase(knex, { keys: trusted });
  t.true(intact.ok, JSON.stringify(intact.problems.slice(0, 3)));
  t.is(intact.eventsChecked, 6000);
  await tamper(knex, `UPDATE audit.events SET payload = jsonb_set(payload, '{j}', '0') WHERE seq = 3001`);
  await tamper(knex, 'UPDATE audit.events SET seq = 100000 WHERE seq = 4500; UPDATE audit.events SET seq = 4500 WHERE seq = 4501; UPDATE audit.events SET seq = 4501 WHERE seq = 100000');
  await tamper(knex, 'DELETE FROM audit.events WHERE seq = 5200');
  const r = await verifyDatabase(knex, { keys: trusted });
  t.deepEqual(kinds(r), ['edited@3001', 'reordered@4500', 'reordered@4501', 'gap@5200']);
  t.regex(r.problems[1]!.message, /seq 4500 holds the event written as seq 4501/);
  await t.throwsAsync(createCheckpoint(knex, keyring), { instanceOf: AuditIntegrityError, message: /seq 3001/ });
  const threaded = await knex.transaction((trx) => checkChainByCopy(trx, 1, 6000, GENESIS_HASH, new Set([2999]), { worker: true }), { isolationLevel: 'repeatable read' });
  t.deepEqual(threaded.problems, r.problems, 'the same findings with a worker thread hashing every other block');
  t.is(threaded.checked, 5999);
  t.true(threaded.workerBlocks > 0, 'the worker thread hashed blocks');
  t.is(threaded.headAt.get(2999), (await knex('audit.events').where({ seq: 2999 }).first('hash')).hash);
  const ranged = await verifyDatabase(knex, { keys: trusted, from: 4400, to: 4600 });
  t.deepEqual(kinds(ranged), ['reordered@4500', 'reordered@4501']);
});

test('a row re-hashed after an edit is a broken link at the next seq, also through COPY', async (t) => {
  const { knex, audit, trusted } = await auditSetup(t);
  await knex.transaction((trx) => recordPlainEvents(trx, Array.from({ length: 50 }, (_, j) => ({ action: AUDIT_ACTIONS.timesheetEntryCreated, actorId: 'acct-1', payload: { j } }))));
  await audit.flush();
  const rows: AuditEventRow[] = [];
  await knex.transaction(async (trx) => {
    for await (const r of eventsInRange(trx, 20, 20)) rows.push(r);
  });
  const forged = { ...rows[0]!, actor_id: 'someone-else' };
  await tamper(knex, 'UPDATE audit.events SET actor_id = ?, hash = ? WHERE seq = 20', ['someone-else', eventHash(forged)]);
  const r = await verifyDatabase(knex, { keys: trusted });
  t.deepEqual(kinds(r), ['broken-link@21']);
});

test('lineBlocks yields whole lines and whole characters whatever the chunk boundaries', async (t) => {
  const text = 'a\t漢🙂\nsecond line é\n\nlast 🙂🙂\n';
  const bytes = Buffer.from(text, 'utf8');
  for (let size = 1; size <= 7; size++) {
    const chunks = async function* () {
      for (let i = 0; i < bytes.length; i += size) yield bytes.subarray(i, i + size);
    };
    const lines: string[] = [];
    for await (const block of lineBlocks(chunks())) forEachLine(block, (l) => lines.push(l));
    t.deepEqual(lines, ['a\t漢🙂', 'second line é', '', 'last 🙂🙂'], `chunks of ${size} bytes`);
  }
  await t.throwsAsync(async () => {
    for await (const _ of lineBlocks((async function* () { yield Buffer.from('cut'); })())) t.fail();
  }, { message: /inside a line/ });
});
