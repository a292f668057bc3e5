import type { Knex } from '../platform/db.js';
import { sqlLiteral } from '../platform/sql-literal.js';
import { WITH_COMMIT } from '../platform/prepared.js';
import type { AuditEventRow, CheckpointRow } from './canonical.js';

/**
 * Advisory lock keys (classid 'uurw', objid 1/2). The BEFORE INSERT triggers in
 * migration 20261123110000 take the same keys, so whoever inserts is serialised.
 */
const LOCK_CLASS = 0x75757277;
const EVENTS_LOCK = 1;
const CHECKPOINTS_LOCK = 2;
/** Serialises ageing runs (two nodes never remove the same segment twice). */
const AGEING_LOCK = 3;

type Db = Knex | Knex.Transaction;

/** An event row as node-postgres returns it: bigint seq as text or number, time as a Date. */
type RawEvent = Omit<AuditEventRow, 'seq' | 'at'> & { seq: string | number; at: Date };

interface RawCheckpoint {
  number: string | number;
  at: Date;
  first_seq: string | number;
  last_seq: string | number;
  head_hash: string;
  prev_checkpoint_hash: string;
  key_id: string;
  signature: string;
  hash: string;
}

/** bigint columns arrive as strings from node-postgres; audit sequence numbers stay far below 2^53. */
function toEvent(r: RawEvent): AuditEventRow {
  return { ...r, seq: Number(r.seq), at: r.at.toISOString() };
}

function toCheckpoint(r: RawCheckpoint): CheckpointRow {
  return { ...r, number: Number(r.number), first_seq: Number(r.first_seq), last_seq: Number(r.last_seq), at: r.at.toISOString() };
}

/** Takes the append lock until the end of the transaction. */
export async function lockEvents(trx: Knex.Transaction): Promise<void> {
  await trx.raw(lockEventsSql());
}

/** Takes the checkpoint lock until the end of the transaction. */
export async function lockCheckpoints(trx: Knex.Transaction): Promise<void> {
  await trx.raw('SELECT pg_advisory_xact_lock(?, ?)', [LOCK_CLASS, CHECKPOINTS_LOCK]);
}

/** Takes the ageing lock until the end of the transaction. */
export async function lockAgeing(trx: Knex.Transaction): Promise<void> {
  await trx.raw('SELECT pg_advisory_xact_lock(?, ?)', [LOCK_CLASS, AGEING_LOCK]);
}

/** The chain's head and the clock a pass stamps its events with. */
export interface Head {
  seq: number;
  hash: string | null;
  now: Date;
}

/** The last event's seq and hash, plus the database clock in milliseconds (the event time). */
export const HEAD_AND_CLOCK_SQL = `
    SELECT h.seq, h.hash, date_trunc('milliseconds', clock_timestamp()) AS now
    FROM (SELECT 1) one
    LEFT JOIN LATERAL (SELECT seq, hash FROM audit.events ORDER BY seq DESC LIMIT 1) h ON true`;

/** A row of HEAD_AND_CLOCK_SQL as the head. */
export function toHead(r: { seq: string | number | null; hash: string | null; now: Date }): Head {
  return { seq: Number(r.seq ?? 0), hash: r.hash, now: r.now };
}

/** The last event's seq and hash, plus the database clock in milliseconds (the event time). */
export async function headAndClock(trx: Db): Promise<Head> {
  const { rows } = await trx.raw<{ rows: Array<{ seq: string | null; hash: string | null; now: Date }> }>(HEAD_AND_CLOCK_SQL);
  return toHead(rows[0]!);
}

/** The append lock as statement text (`lazyCommit`: the transaction then commits without waiting for the WAL flush). */
export function lockEventsSql(lazyCommit = false): string {
  return `SELECT pg_advisory_xact_lock(${LOCK_CLASS}, ${EVENTS_LOCK})${lazyCommit ? `, set_config('synchronous_commit', 'off', true)` : ''}`;
}

/** Inserts event rows in one statement, in seq order (the trigger re-checks each seq and prev_hash). */
export async function insertEvents(trx: Db, rows: AuditEventRow[]): Promise<void> {
  await trx.withSchema('audit').table('events').insert(rows.map((row) => ({ ...row, payload: JSON.stringify(row.payload) })));
}

/** A grouped append's columns: the event's own first (written before its pass), then what the pass gives it. */
const APPEND_COLUMNS = 'id, actor_id, subject_id, action, object_type, object_id, payload, personal, seq, at, prev_hash, hash';

/**
 * An event's own columns as literal SQL values (the first eight of APPEND_COLUMNS,
 * with a trailing comma), written once before its pass: a trip of statements takes
 * no parameters, and each literal is coerced to its column's type as a parameter is.
 */
export function ownValuesSql(e: StagedEvent): string {
  return `(${[e.id, e.actor_id, e.subject_id, e.action, e.object_type, e.object_id, JSON.stringify(e.payload), e.personal].map(sqlLiteral).join(', ')}, `;
}

/** The insert of linked events whose own columns `ownValuesSql` wrote; in seq order (the trigger re-checks the chain). */
export function insertLinkedSql(rows: ReadonlyArray<{ own: string; seq: number; prev_hash: string; hash: string }>, at: string): string {
  const time = sqlLiteral(at);
  let sql = `INSERT INTO audit.events (${APPEND_COLUMNS}) VALUES `;
  for (let i = 0; i < rows.length; i++) {
    const r = rows[i]!;
    sql += `${i ? ', ' : ''}${r.own}${sqlLiteral(r.seq)}, ${time}, ${sqlLiteral(r.prev_hash)}, ${sqlLiteral(r.hash)})`;
  }
  return sql;
}

/** One event by seq. */
export async function eventBySeq(db: Db, seq: number): Promise<AuditEventRow | undefined> {
  const r = (await db.withSchema('audit').table('events').where({ seq }).first()) as RawEvent | undefined;
  return r && toEvent(r);
}

/** Highest seq present (0 for an empty log). */
export async function maxSeq(db: Db): Promise<number> {
  const r = (await db.withSchema('audit').table('events').max({ m: 'seq' }).first()) as { m: string | null } | undefined;
  return Number(r?.m ?? 0);
}

/**
 * The time as the hash covers it (ISO 8601 UTC, milliseconds), formatted by
 * PostgreSQL: parsing a Date per row and printing it again cost more than hashing.
 */
const AT_ISO = `to_char(at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS at`;

/**
 * Events with from <= seq <= to, in seq order, fetched in batches (keyset
 * pagination on the primary key). The next batch is requested before the current
 * one is handed out, so the database reads while the caller hashes.
 */
export async function* eventsInRange(db: Db, from: number, to: number, batch = 2000): AsyncGenerator<AuditEventRow> {
  type Row = Omit<RawEvent, 'at'> & { at: string };
  const fetch = (after: number): Promise<Row[]> =>
    db.withSchema('audit').table('events')
      .select('seq', 'id', db.raw(AT_ISO), 'actor_id', 'subject_id', 'action', 'object_type', 'object_id', 'payload', 'personal', 'prev_hash', 'hash')
      .where('seq', '>', after).andWhere('seq', '<=', to).orderBy('seq').limit(batch) as unknown as Promise<Row[]>;
  let pending: Promise<Row[]> | null = fetch(from - 1);
  while (pending) {
    const rows: Row[] = await pending;
    pending = rows.length < batch ? null : fetch(Number(rows[rows.length - 1]!.seq));
    // A caller that stops early leaves the prefetch unread; it must not become an unhandled rejection.
    pending?.catch(() => undefined);
    for (const r of rows) yield { ...r, seq: Number(r.seq) };
  }
}

/** Every checkpoint in number order. */
export async function allCheckpoints(db: Db): Promise<CheckpointRow[]> {
  const rows = (await db.withSchema('audit').table('checkpoints').orderBy('number')) as RawCheckpoint[];
  return rows.map(toCheckpoint);
}

/** The newest checkpoint, if any. */
export async function lastCheckpoint(db: Db): Promise<CheckpointRow | undefined> {
  const r = (await db.withSchema('audit').table('checkpoints').orderBy('number', 'desc').first()) as RawCheckpoint | undefined;
  return r && toCheckpoint(r);
}

/** Inserts a checkpoint row (the trigger re-checks number, first_seq and the previous hash). */
export async function insertCheckpoint(trx: Db, cp: CheckpointRow): Promise<void> {
  await trx.withSchema('audit').table('checkpoints').insert(cp);
}

/** Lowest seq present (0 for an empty log): after ageing, the first event after the anchor. */
export async function minSeq(db: Db): Promise<number> {
  const r = (await db.withSchema('audit').table('events').min({ m: 'seq' }).first()) as { m: string | null } | undefined;
  return Number(r?.m ?? 0);
}

/** The checkpoint whose covered range ends at `lastSeq` (the anchor of a log aged up to there). */
export async function checkpointEndingAt(db: Db, lastSeq: number): Promise<CheckpointRow | undefined> {
  const r = (await db.withSchema('audit').table('checkpoints').where({ last_seq: lastSeq }).orderBy('number').first()) as RawCheckpoint | undefined;
  return r && toCheckpoint(r);
}

/** "anchor_checkpoint:last_seq" of every `audit.aged` event: the ageing the log records. */
export async function agedAnchors(db: Db): Promise<Set<string>> {
  const rows = (await db.withSchema('audit').table('events').where({ action: 'audit.aged' })
    .select(db.raw(`payload->>'anchor_checkpoint' AS n`), db.raw(`payload->>'last_seq' AS l`))) as Array<{ n: string | null; l: string | null }>;
  return new Set(rows.map((r) => `${r.n}:${r.l}`));
}

/** An event as staged by its caller: everything but seq, time and hashes, plus its staging order. */
export type StagedEvent = Omit<AuditEventRow, 'seq' | 'at' | 'prev_hash' | 'hash'>;

const STAGED_COLUMNS = ['id', 'actor_id', 'subject_id', 'action', 'object_type', 'object_id', 'payload', 'personal'] as const;
const STAGED_ROW = `(${STAGED_COLUMNS.map(() => '?').join(', ')})`;

/**
 * Stages events in the caller's transaction, in order, in one statement (no lock, no
 * head read). Marked to ride with the transaction's COMMIT (`WITH_COMMIT`,
 * src/platform/prepared.ts): nothing reads its answer, and should it fail there the
 * transaction fails with it.
 */
export async function insertStaged(trx: Db, rows: readonly StagedEvent[]): Promise<void> {
  if (!rows.length) return;
  await trx.raw(
    `${WITH_COMMIT}INSERT INTO audit.pending (${STAGED_COLUMNS.join(', ')}) VALUES ${rows.map(() => STAGED_ROW).join(', ')}`,
    rows.flatMap((row) => [row.id, row.actor_id, row.subject_id, row.action, row.object_type, row.object_id, JSON.stringify(row.payload), row.personal]),
  );
}

/** The oldest committed staged events (at most `limit`), in staging order, with their staging number. */
export async function stagedBatch(trx: Db, limit: number): Promise<Array<StagedEvent & { n: string }>> {
  // Each caller's events stay contiguous and in order, callers in the order they staged.
  return (await trx.withSchema('audit').table('pending').orderByRaw('min(n) OVER (PARTITION BY tx), n').limit(limit)
    .select('n', 'id', 'actor_id', 'subject_id', 'action', 'object_type', 'object_id', 'payload', 'personal')) as Array<StagedEvent & { n: string }>;
}

/** `stagedBatch` as statement text (for a trip of statements). */
export function stagedBatchSql(limit: number): string {
  if (!Number.isSafeInteger(limit) || limit < 1) throw new RangeError(`not a batch size: ${limit}`);
  return `SELECT n, id, actor_id, subject_id, action, object_type, object_id, payload, personal FROM audit.pending ORDER BY min(n) OVER (PARTITION BY tx), n LIMIT ${limit}`;
}

/** `deleteStaged` as statement text (for a trip of statements). */
export function deleteStagedSql(ns: readonly string[]): string {
  return `DELETE FROM audit.pending WHERE n = ANY(${sqlLiteral(ns)}::bigint[])`;
}

/** Removes staged rows once chained (the table's trigger lets only chained ones go). */
export async function deleteStaged(trx: Db, ns: readonly string[]): Promise<void> {
  if (!ns.length) return;
  await trx.raw('DELETE FROM audit.pending WHERE n = ANY(?::bigint[])', [ns as string[]]);
}

/** How many events are staged and not yet chained (committed ones only, as this snapshot sees them). */
export async function stagedCount(db: Db): Promise<number> {
  const r = (await db.withSchema('audit').table('pending').count({ c: '*' }).first()) as { c: string | number } | undefined;
  return Number(r?.c ?? 0);
}
